"""Conditions and procedures: recorded per role, validated with messages naming the field, read
through access functions that keep restricted charts closed, never deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.clinical.access import access_condition_by_id, access_procedure_by_id, conditions_in_chart
from chartdesk.clinical.actions import (
    do_change_condition_status,
    do_record_condition,
    do_record_procedure,
    do_register_clinician,
    npi_is_valid,
)
from chartdesk.clinical.models import Condition
from chartdesk.clinical.schemas import ClinicianInput, CodedInput, ConditionInput, ProcedureInput
from chartdesk.core.errors import ChartdeskError, ConcurrentChange, NotFound, PermissionRefused, RecordNeverDeleted
from chartdesk.patients.actions import do_set_restriction
from tests.support import factories

pytestmark = pytest.mark.django_db

PNEUMONIA = CodedInput("snomed", "233604007", "Pneumonia (disorder)")


@pytest.fixture
def provider(db):
    return factories.make_user("provider")


def test_a_provider_records_a_condition_with_its_snomed_code(patient, provider):
    condition = do_record_condition(patient, ConditionInput(coded=PNEUMONIA), acting_user=provider)
    assert (condition.code_system, condition.code, condition.clinical_status, condition.revision) == (
        "snomed", "233604007", "active", 1)
    event = AuditEvent.objects.filter(object_type="condition").get()
    assert (event.user_id, event.patient_id, event.detail["code"]) == (provider.pk, patient.pk, "233604007")


@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "roi", "him_manager", "administrator"])
def test_roles_without_record_clinical_cannot_record(patient, role):
    with pytest.raises(PermissionRefused):
        do_record_condition(patient, ConditionInput(coded=PNEUMONIA), acting_user=factories.make_user(role))
    assert not Condition.objects.exists()


@pytest.mark.parametrize(("entry", "field"), [
    (ConditionInput(coded=CodedInput("icd9", "486", "Pneumonia")), "code_system"),
    (ConditionInput(coded=CodedInput("snomed", "", "Pneumonia")), "code"),
    (ConditionInput(coded=CodedInput("snomed", "1", "")), "display"),
    (ConditionInput(coded=PNEUMONIA, clinical_status="better"), "clinical_status"),
    (ConditionInput(coded=PNEUMONIA, onset_at=timezone.now() + timedelta(days=3)), "onset_at"),
    (ConditionInput(coded=PNEUMONIA, onset_at=timezone.now() - timedelta(days=1),
                    abatement_at=timezone.now() - timedelta(days=2)), "onset_at"),
])
def test_bad_entries_are_refused_naming_the_field(patient, provider, entry, field):
    with pytest.raises(ChartdeskError) as refused:
        do_record_condition(patient, entry, acting_user=provider)
    assert refused.value.field == field
    assert not Condition.objects.exists()


def test_an_encounter_of_another_patient_is_refused(patient, provider):
    other = factories.make_patient("Ann", "Other")
    encounter = factories.make_encounter(other)
    with pytest.raises(ChartdeskError, match="belongs to another patient"):
        do_record_procedure(patient, ProcedureInput(coded=PNEUMONIA, encounter=encounter), acting_user=provider)


def test_status_changes_check_the_revision(patient, provider):
    condition = do_record_condition(patient, ConditionInput(coded=PNEUMONIA), acting_user=provider)
    changed = do_change_condition_status(condition, clinical_status="resolved", verification_status="confirmed",
                                         expected_revision=1, acting_user=provider)
    assert (changed.clinical_status, changed.revision) == ("resolved", 2)
    with pytest.raises(ConcurrentChange):
        do_change_condition_status(condition, clinical_status="active", verification_status="refuted",
                                   expected_revision=1, acting_user=provider)
    assert Condition.objects.get().verification_status == "confirmed"


def test_reads_are_audited_and_restricted_charts_stay_closed(patient, provider):
    condition = do_record_condition(patient, ConditionInput(coded=PNEUMONIA), acting_user=provider)
    procedure = do_record_procedure(patient, ProcedureInput(coded=CodedInput("snomed", "399208008", "Chest X-ray")),
                                    acting_user=provider)
    coder = factories.make_user("coder")
    assert access_condition_by_id(coder, condition.pk) == condition
    assert access_procedure_by_id(coder, procedure.pk) == procedure
    assert AuditEvent.objects.filter(user=coder, action="view", object_type="condition").count() == 1
    assert list(conditions_in_chart(coder, patient, code="233604007")) == [condition]
    do_set_restriction(patient, restriction="vip", acting_user=factories.make_user("him_manager"))
    with pytest.raises(NotFound):
        access_condition_by_id(coder, condition.pk)
    with pytest.raises(NotFound):
        conditions_in_chart(coder, patient)
    with pytest.raises(NotFound):
        access_condition_by_id(factories.make_user("administrator"), "nonsense")


def test_writes_to_a_restricted_chart_are_refused_as_not_found(patient, provider):
    do_set_restriction(patient, restriction="employee", acting_user=factories.make_user("him_manager"))
    with pytest.raises(NotFound):
        do_record_condition(patient, ConditionInput(coded=PNEUMONIA), acting_user=provider)


def test_conditions_are_never_deleted(patient, provider):
    condition = do_record_condition(patient, ConditionInput(coded=PNEUMONIA), acting_user=provider)
    with pytest.raises(RecordNeverDeleted):
        condition.delete()
    with pytest.raises(DatabaseError, match="refused"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM clinical_condition")
    assert Condition.objects.count() == 1


def test_clinicians_need_a_valid_npi(provider):
    assert npi_is_valid("1234567893") and not npi_is_valid("1234567890")
    with pytest.raises(ChartdeskError) as refused:
        do_register_clinician(ClinicianInput("Joseph", "Lister", npi="1234567890"), acting_user=provider)
    assert refused.value.field == "npi"
    assert do_register_clinician(ClinicianInput("Joseph", "Lister", npi="1234567893"), acting_user=provider).npi
