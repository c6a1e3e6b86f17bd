"""Visits of past fiscal years find the ICD-10-CM edition in effect on their date: Chartdesk ships the
FY2025 April update beside the current tabular list, and `codes load icd10cm --shipped-editions`
(what `make demo` runs) loads both, each from its own date."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from chartdesk.coding.models import CodeSetRelease
from chartdesk.coding.workflow import actions
from chartdesk.coding.workflow.models import CodingCase
from tests.coding.workflow.conftest import finished_encounter, revision_of
from tests.support.codesets import TEST_CATEGORIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(code_sets) -> str:
    out = io.StringIO()
    # The test session's own categories: the current edition is already loaded with them (nothing
    # changes), the FY2025 edition loads the same categories.
    call_command("codes", "load", "icd10cm", "--shipped-editions", "--only", ",".join(TEST_CATEGORIES), stdout=out)
    return out.getvalue()


def test_the_shipped_editions_load_each_from_its_own_date(shipped):
    earlier = CodeSetRelease.objects.get(system="icd10cm", label="FY2025 April update")
    current = CodeSetRelease.objects.current("icd10cm")
    assert (earlier.effective_from, earlier.effective_to) == (datetime.date(2025, 4, 1), current.effective_from)
    assert "FY2025 April update" in shipped and "already loaded from this file, nothing changed" in shipped
    assert CodeSetRelease.objects.in_effect("icd10cm", datetime.date(2025, 6, 3)) == earlier
    assert CodeSetRelease.objects.in_effect("icd10cm", datetime.date(2025, 3, 31)) is None


def test_a_2025_visit_finds_heart_failure_in_the_edition_of_its_date(shipped, staff, client_for):
    stay = finished_encounter(staff, days_ago=(timezone.localdate() - datetime.date(2025, 6, 5)).days)
    day = actions.service_day(stay)
    client = client_for(staff.coder)
    hits = client.get("/coding/work/encoder/", {"q": "heart failure", "on": day.isoformat()}).content.decode()
    assert "I50.9" in hits
    base = f"/coding/work/encounter/{stay.pk}/"
    client.post(base + "start/", {"revision": 0})
    assert "No ICD-10-CM release in effect on" not in client.get(base).content.decode()
    client.post(base + "codes/", {"revision": revision_of(stay), "operation": "add_diagnosis",
                                  "code": "I50.9", "poa": "Y"})
    case = CodingCase.objects.get()
    assert [diagnosis.code for diagnosis in case.diagnoses.all()] == ["I509"]
    assert not case.use_nearest_release


def test_shipped_editions_take_no_file_or_date(code_sets):
    with pytest.raises(CommandError, match="give no FILE, --effective or --label"):
        call_command("codes", "load", "icd10cm", "somefile.xml", "--shipped-editions", stdout=io.StringIO())
    with pytest.raises(CommandError, match="give no FILE"):
        call_command("codes", "load", "icd10pcs", "--shipped-editions", stdout=io.StringIO())
    assert not CodeSetRelease.objects.filter(label="FY2025 April update").exists()


def test_the_demo_counts_the_visits_that_predate_every_release_loaded(code_sets, staff):
    from chartdesk.coding.workflow.demo import visits_before_the_code_sets

    finished_encounter(staff, days_ago=(timezone.localdate() - datetime.date(2024, 12, 20)).days)
    finished_encounter(staff, days_ago=2)
    assert visits_before_the_code_sets() == (1, CodeSetRelease.objects.current("icd10cm"))
