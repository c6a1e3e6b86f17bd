from datetime import timedelta

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.core.errors import ChartdeskError, NotFound, PermissionRefused
from chartdesk.patients.access import RestrictedChart, access_patient_by_id
from chartdesk.patients.actions import do_break_the_glass, do_grant_chart_access, do_set_restriction
from chartdesk.patients.models import BreakTheGlassAccess
from chartdesk.patients.validation import InvalidField
from tests.support import factories

REASON = "Unconscious in the emergency department, need allergies"


@pytest.fixture
def vip(users):
    patient = factories.make_patient("Vera", "Important")
    return do_set_restriction(patient, restriction="vip", note="board member", acting_user=users["privacy_officer"])


def test_a_restricted_chart_is_not_found_for_users_who_cannot_break_the_glass(vip, users):
    for role in ("registrar", "coder", "billing", "roi", "transcriptionist"):
        with pytest.raises(NotFound) as refused:
            access_patient_by_id(users[role], vip.pk)
        assert not isinstance(refused.value, RestrictedChart)
    assert AuditEvent.objects.filter(action="access_denied", patient_id=vip.pk).count() == 5


def test_users_who_may_break_the_glass_are_told_they_can(vip, users):
    for role in ("provider", "him_manager", "privacy_officer"):
        with pytest.raises(RestrictedChart):
            access_patient_by_id(users[role], vip.pk)


def test_a_granted_user_opens_the_restricted_chart_until_the_grant_is_revoked(vip, users):
    from chartdesk.patients.actions import do_revoke_chart_access

    grant = do_grant_chart_access(vip, users["coder"], reason="coding review", acting_user=users["privacy_officer"])
    assert access_patient_by_id(users["coder"], vip.pk) == vip
    do_revoke_chart_access(grant, acting_user=users["privacy_officer"])
    with pytest.raises(NotFound):
        access_patient_by_id(users["coder"], vip.pk)


def test_breaking_the_glass_opens_the_chart_and_every_view_carries_the_reason(vip, users, settings):
    settings.BREAK_THE_GLASS_MINUTES = 30
    access = do_break_the_glass(vip, reason=REASON, acting_user=users["provider"])
    assert access.expires_at - access.started_at == timedelta(minutes=30)
    assert access_patient_by_id(users["provider"], vip.pk) == vip
    glass = AuditEvent.objects.get(action="break_the_glass", patient_id=vip.pk)
    assert glass.break_the_glass_reason == REASON and glass.username == users["provider"].username
    view = AuditEvent.objects.filter(action="view", patient_id=vip.pk, object_type="patient").latest("sequence")
    assert view.break_the_glass_reason == REASON


def test_break_the_glass_access_ends_when_its_time_is_up(vip, users, settings, monkeypatch):
    settings.BREAK_THE_GLASS_MINUTES = 60
    do_break_the_glass(vip, reason=REASON, acting_user=users["provider"])
    later = timezone.now() + timedelta(minutes=61)
    monkeypatch.setattr(timezone, "now", lambda: later)
    with pytest.raises(RestrictedChart):
        access_patient_by_id(users["provider"], vip.pk)


def test_break_the_glass_needs_a_real_reason_and_the_permission(vip, users):
    with pytest.raises(InvalidField, match="at least 10 characters"):
        do_break_the_glass(vip, reason="  urgent ", acting_user=users["provider"])
    with pytest.raises(PermissionRefused):
        do_break_the_glass(vip, reason=REASON, acting_user=users["registrar"])
    assert BreakTheGlassAccess.objects.count() == 0


def test_there_is_no_glass_to_break_on_an_unrestricted_chart(users):
    patient = factories.make_patient("Open", "Chart")
    with pytest.raises(ChartdeskError, match="not restricted"):
        do_break_the_glass(patient, reason=REASON, acting_user=users["provider"])


def test_missing_and_forbidden_patients_look_the_same(users):
    patient = factories.make_patient("Open", "Chart")
    for patient_id in (patient.pk + 1000, "abc", None):
        with pytest.raises(NotFound):
            access_patient_by_id(users["registrar"], patient_id)
    with pytest.raises(NotFound):
        access_patient_by_id(users["administrator"], patient.pk)
    assert access_patient_by_id(users["billing"], patient.pk) == patient
