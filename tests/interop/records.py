"""A small synthetic chart for the API tests: a patient with an encounter, a note, a condition and
a procedure, all made through the real actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from chartdesk.charts.actions import do_create_note
from chartdesk.charts.models import DocumentType
from chartdesk.clinical.actions import do_record_condition, do_record_procedure
from chartdesk.clinical.schemas import CodedInput, ConditionInput, ProcedureInput
from tests.support import factories


@dataclass
class Chart:
    patient: Any
    encounter: Any
    note: Any
    condition: Any
    procedure: Any


def make_chart(given: str = "Maria", family: str = "Garcia", born: date = date(1980, 3, 15)) -> Chart:
    provider_user = factories.make_user("provider")
    provider = factories.make_provider(user=provider_user)
    patient = factories.make_patient(given, family, birth_date=born)
    admitted = timezone.make_aware(datetime(2025, 6, 2, 9, 30))
    encounter = factories.make_encounter(patient, "inpatient", admit_at=admitted, service="Medicine")
    note = do_create_note(patient, document_type=DocumentType.HISTORY_AND_PHYSICAL, title="Admission H&P",
                          text="Fever and cough for three days.", service_date=admitted.date(),
                          acting_user=provider_user, encounter=encounter, author=provider)
    condition = do_record_condition(patient, ConditionInput(
        coded=CodedInput("snomed", "233604007", "Pneumonia (disorder)"), encounter=encounter,
        onset_at=admitted - timedelta(days=3), recorded_at=admitted), acting_user=provider_user)
    procedure = do_record_procedure(patient, ProcedureInput(
        coded=CodedInput("snomed", "399208008", "Plain chest X-ray (procedure)"), encounter=encounter,
        performed_start=admitted + timedelta(hours=1)), acting_user=provider_user)
    return Chart(patient, encounter, note, condition, procedure)
