"""A restricted chart refused in chart completion is on the record, and users who may break the glass are
offered it, as on the chart pages."""

from __future__ import annotations

from typing import Any

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.models import DocumentType
from chartdesk.completion.analysis import analyse_encounter
from chartdesk.completion.models import Deficiency
from chartdesk.patients.actions import do_set_restriction
from tests.completion.conftest import discharge, note

pytestmark = pytest.mark.django_db

REASON = "Unconscious in the emergency department, need allergies"


def _new_since(before: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("sequence")[before:])


@pytest.fixture
def restricted_deficiency(stay: Any, users: dict[str, Any], attending: Any) -> Deficiency:
    note(stay, attending, DocumentType.HISTORY_AND_PHYSICAL, title="Admission H&P")
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    do_set_restriction(stay.patient, restriction="employee", note="staff member", acting_user=users["privacy_officer"])
    return Deficiency.objects.get(rule__code="signature")


def test_completion_refuses_a_restricted_chart_on_the_record_and_offers_break_the_glass(
        restricted_deficiency, attending, users, client_for):
    patient = restricted_deficiency.patient
    url = f"/completion/deficiency/{restricted_deficiency.pk}/"
    provider = client_for(attending)
    before = AuditEvent.objects.count()

    offered = provider.get(url)

    assert offered.status_code == 302
    assert offered["Location"].startswith(f"/patients/{patient.pk}/break-the-glass/?next=")
    refused = _new_since(before)
    assert [(event.action, event.outcome, event.object_type, event.patient_id) for event in refused] == [
        ("access_denied", "denied", "deficiency", patient.pk)]
    # HIM's review page refuses the same way; a role that may not break the glass gets a plain 404.
    assert client_for(users["him_manager"]).get(f"/completion/review/{restricted_deficiency.pk}/")[
        "Location"].startswith(f"/patients/{patient.pk}/break-the-glass/")
    # After breaking the glass the provider is back on the deficiency.
    back = provider.post(offered["Location"], {"reason": REASON, "next": url})
    assert back["Location"] == url
    assert provider.get(url).status_code == 200
