"""Emergency access opened at the desk is the person's, not their API clients': a token acting as the
same user still finds the restricted chart closed, and the refusal is on the record."""

from __future__ import annotations

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.patients.actions import do_set_restriction
from tests.interop.records import make_chart

pytestmark = pytest.mark.django_db

REASON = "Unconscious in the emergency department, need allergies"


def test_break_the_glass_at_the_desk_opens_the_chart_there_but_not_for_the_users_api_client(
        users, client_for, fhir_as):
    chart = make_chart()
    do_set_restriction(chart.patient, restriction="vip", note="board member", acting_user=users["privacy_officer"])
    provider = users["provider"]
    api = fhir_as(user=provider, scopes=("user/*.read",))
    desk = client_for(provider)

    glass = desk.post(f"/patients/{chart.patient.pk}/break-the-glass/", {"reason": REASON, "next": "/"})
    assert glass.status_code == 302
    assert desk.get(f"/charts/patient/{chart.patient.pk}/").status_code == 200
    desk_view = AuditEvent.objects.filter(action="view", patient_id=chart.patient.pk).latest("sequence")
    assert (desk_view.channel, desk_view.break_the_glass_reason) == ("desk", REASON)

    for path in (f"/fhir/Patient/{chart.patient.pk}", f"/fhir/Condition/{chart.condition.pk}"):
        assert api.get(path).status_code == 404, path
    denied = AuditEvent.objects.filter(patient_id=chart.patient.pk, channel="api").order_by("sequence")
    assert [event.action for event in denied] == ["access_denied", "access_denied"]
    assert {event.outcome for event in denied} == {"denied"}
    assert not AuditEvent.objects.filter(patient_id=chart.patient.pk, channel="api", action="view").exists()
    # Nor does a search through the API list the chart.
    found = api.get(f"/fhir/Patient?family={chart.patient.family_name}").json()
    assert [entry["resource"]["id"] for entry in found.get("entry", [])] == []
