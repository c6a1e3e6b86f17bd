"""Transfers, class changes, cancelled admissions and cancelled discharges (what ADT A02/A12, A06/A07,
A11 and A13 apply): allowed per role, refused without the permission or on a restricted chart, audited
with the values before, and nothing deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.actions import do_discharge_encounter
from chartdesk.charts.movement_actions import (
    do_cancel_encounter,
    do_change_encounter_class,
    do_reopen_encounter,
    do_transfer_encounter,
)
from chartdesk.core.errors import ChartdeskError, NotFound, PermissionRefused
from chartdesk.patients.actions import do_set_restriction
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def stay(db):
    patient = factories.make_patient()
    return factories.make_encounter(patient, encounter_class="inpatient", location="4W-12",
                                    admit_at=timezone.now() - timedelta(days=2))


@pytest.mark.parametrize("role", ["registrar", "him_manager", "provider"])
def test_roles_that_open_encounters_transfer_a_patient(stay, role):
    moved = do_transfer_encounter(stay, location="5E-3", acting_user=factories.make_user(role))
    assert moved.location == "5E-3"
    event = AuditEvent.objects.filter(object_type="encounter", detail__change="transfer").get()
    assert (event.detail["location_before"], event.detail["location"]) == ("4W-12", "5E-3")


@pytest.mark.parametrize("role", ["coder", "billing", "roi", "transcriptionist"])
def test_other_roles_cannot_transfer_cancel_or_change_class(stay, role):
    user = factories.make_user(role)
    for action, kwargs in ((do_transfer_encounter, {"location": "5E-3"}),
                           (do_change_encounter_class, {"encounter_class": "outpatient"}),
                           (do_cancel_encounter, {"reason": "registered in error"})):
        with pytest.raises(PermissionRefused):
            action(stay, acting_user=user, **kwargs)
    stay.refresh_from_db()
    assert (stay.location, stay.encounter_class, stay.status) == ("4W-12", "inpatient", "in_progress")


def test_a_restricted_chart_refuses_a_transfer_as_not_found(stay):
    do_set_restriction(stay.patient, restriction="vip", note="", acting_user=factories.make_user("him_manager"))
    with pytest.raises(NotFound):
        do_transfer_encounter(stay, location="5E-3", acting_user=factories.make_user("registrar"))


def test_the_class_changes_and_the_same_class_is_refused(stay):
    registrar = factories.make_user("registrar")
    assert do_change_encounter_class(stay, encounter_class="outpatient", acting_user=registrar).encounter_class == (
        "outpatient")
    with pytest.raises(ChartdeskError, match="already outpatient"):
        do_change_encounter_class(stay, encounter_class="outpatient", acting_user=registrar)
    with pytest.raises(ChartdeskError, match="encounter class"):
        do_change_encounter_class(stay, encounter_class="spaceship", acting_user=registrar)


def test_a_cancelled_admission_keeps_its_row_and_needs_a_reason(stay):
    registrar = factories.make_user("registrar")
    with pytest.raises(ChartdeskError, match="Say why"):
        do_cancel_encounter(stay, reason=" ", acting_user=registrar)
    assert do_cancel_encounter(stay, reason="wrong patient", acting_user=registrar).status == "cancelled"
    with pytest.raises(ChartdeskError, match="only an encounter in progress"):
        do_transfer_encounter(stay, location="5E-3", acting_user=registrar)


def test_a_cancelled_discharge_reopens_the_stay_and_audits_what_it_had(stay):
    registrar = factories.make_user("registrar")
    with pytest.raises(ChartdeskError, match="only a finished encounter"):
        do_reopen_encounter(stay, reason="discharged in error", acting_user=registrar)
    do_discharge_encounter(stay, discharge_at=timezone.now() - timedelta(hours=1), disposition="01",
                           acting_user=registrar)
    reopened = do_reopen_encounter(stay, reason="discharged in error", acting_user=registrar)
    assert (reopened.status, reopened.discharge_at, reopened.discharge_disposition) == ("in_progress", None, "")
    event = AuditEvent.objects.filter(object_type="encounter", detail__change="reopen").get()
    assert event.detail["disposition"] == "01" and event.detail["discharge_at"]
