"""A restricted chart refused in paper-chart tracking is on the record, and users who may break the glass are
offered it, as on the chart pages."""

from __future__ import annotations

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.patients.actions import do_set_restriction

pytestmark = pytest.mark.django_db

def _new_since(before: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("sequence")[before:])


def test_filing_refuses_a_restricted_chart_on_the_record_and_offers_break_the_glass(chart, users, client_for):
    do_set_restriction(chart.patient, restriction="vip", note="board member", acting_user=users["privacy_officer"])
    manager, registrar = client_for(users["him_manager"]), client_for(users["registrar"])
    before = AuditEvent.objects.count()

    offered = manager.get(f"/filing/chart/{chart.pk}/")
    plain = registrar.get(f"/filing/chart/{chart.pk}/")

    assert offered.status_code == 302
    assert offered["Location"].startswith(f"/patients/{chart.patient.pk}/break-the-glass/")
    assert plain.status_code == 404
    refused = _new_since(before)
    assert [(event.action, event.username, event.object_type) for event in refused] == [
        ("access_denied", users["him_manager"].username, "paper_chart"),
        ("access_denied", users["registrar"].username, "paper_chart")]
