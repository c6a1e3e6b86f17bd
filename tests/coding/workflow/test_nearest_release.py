"""A visit whose date no loaded release covers: the desk says so, names the nearest release, and
the coder may code against it, marked as such."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.coding.models import CodeSetRelease
from chartdesk.coding.workflow import actions
from chartdesk.coding.workflow.models import CodingCase
from chartdesk.core.errors import ChartdeskError
from tests.coding.workflow.conftest import finished_encounter, revision_of
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_stay(code_sets, staff):
    """A stay discharged in 2024, before the loaded ICD-10-CM release (in effect from 2026-04-01)."""
    stay = finished_encounter(staff, days_ago=(timezone.localdate() - datetime.date(2024, 6, 3)).days)
    assert CodeSetRelease.objects.in_effect("icd10cm", actions.service_day(stay)) is None
    return stay


def test_the_desk_names_the_nearest_release_and_codes_against_it_once_chosen(old_stay, staff, client_for):
    client = client_for(staff.coder)
    base = f"/coding/work/encounter/{old_stay.pk}/"
    client.post(base + "start/", {"revision": 0})
    release = CodeSetRelease.objects.current("icd10cm")
    page = client.get(base).content.decode()
    assert "No ICD-10-CM release in effect on" in page
    assert f"The nearest loaded is {release.label} (in effect from {release.effective_from} on)" in page

    refused = client.post(base + "codes/", {"revision": revision_of(old_stay), "operation": "add_diagnosis",
                                            "code": "I50.23", "poa": "Y"}, follow=True).content.decode()
    assert "No ICD-10-CM release covering" in refused and f"The nearest loaded is {release.label}" in refused
    assert not CodingCase.objects.get().diagnoses.exists()

    client.post(base + "nearest-release/", {"revision": revision_of(old_stay)})
    assert CodingCase.objects.get().use_nearest_release
    assert AuditEvent.objects.filter(detail__change="use_nearest_release", detail__release=release.label).exists()
    client.post(base + "codes/", {"revision": revision_of(old_stay), "operation": "add_diagnosis",
                                  "code": "I50.23", "poa": "Y"})
    page = client.get(base).content.decode()
    assert 'data-diagnosis="I50.23"' in page and "Acute on chronic systolic" in page
    assert "the nearest loaded ICD-10-CM release, not the one in effect on" in page
    assert 'data-drg="293"' in page  # grouped with the MS-DRG version of the 2024 discharge date


def test_nearest_release_is_refused_when_a_release_is_in_effect_and_for_others(code_sets, staff, client_for,
                                                                                 old_stay):
    recent = finished_encounter(staff)
    case = actions.do_start_coding(recent, acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="release covers"):
        actions.do_use_nearest_release(case, acting_user=staff.coder)
    old_case = actions.do_start_coding(old_stay, acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="assigned to"):
        actions.do_use_nearest_release(old_case, acting_user=staff.other_coder)
    response = client_for(factories.make_user("registrar")).post(
        f"/coding/work/encounter/{old_stay.pk}/nearest-release/", {"revision": revision_of(old_stay)})
    assert response.status_code == 403
    assert not CodingCase.objects.filter(use_nearest_release=True).exists()
