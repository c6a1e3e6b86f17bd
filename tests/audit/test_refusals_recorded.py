"""Refusals are on the record, through the desk: a page refused for want of a permission. The
break-the-glass page shows only the name and records each showing. (Restricted charts refused in
completion and filing: tests/completion/test_restricted_refusals.py, tests/filing/test_restricted_refusals.py.)"""

from __future__ import annotations

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.patients.actions import do_set_restriction

pytestmark = pytest.mark.django_db


def _new_since(before: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("sequence")[before:])


@pytest.mark.parametrize(("role", "path", "permission"), [
    ("registrar", "/audit/", "audit.view_audit_reports"),
    ("coder", "/completion/review/", "completion.manage_deficiencies"),
    ("provider", "/filing/", "filing.track_charts"),
])
def test_a_page_refused_for_a_missing_permission_is_recorded(users, client_for, role, path, permission):
    client = client_for(users[role])
    before = AuditEvent.objects.count()

    assert client.get(path).status_code == 403

    refused = _new_since(before)
    assert [(event.action, event.outcome, event.user_id) for event in refused] == [
        ("access_denied", "denied", users[role].pk)]
    assert refused[0].detail["permissions"] == [permission] and refused[0].detail["path"] == path
    assert refused[0].object_type == "page" and refused[0].channel == "desk"


def test_a_permitted_page_records_no_refusal(users, client_for):
    client_for(users["privacy_officer"]).get("/audit/")
    assert not AuditEvent.objects.filter(action="access_denied").exists()


def test_the_break_the_glass_page_shows_only_the_name_and_records_each_showing(users, client_for, patient):
    do_set_restriction(patient, restriction="sensitive", note="ongoing case", acting_user=users["privacy_officer"])
    client = client_for(users["provider"])
    before = AuditEvent.objects.count()

    for _ in range(2):
        page = client.get(f"/patients/{patient.pk}/break-the-glass/")
        assert page.status_code == 403
        html = page.content.decode()
        assert patient.display_name in html
        assert patient.mrn not in html and "Sensitive" not in html and "ongoing case" not in html

    shown = _new_since(before)
    assert [(event.action, event.object_type, event.patient_id) for event in shown] == [
        ("view", "break_the_glass_prompt", patient.pk)] * 2
