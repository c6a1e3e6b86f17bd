"""Fixtures of the coding workflow: real code sets, finished encounters with signed notes, people."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from chartdesk.charts.actions import do_create_note, do_discharge_encounter, do_finish_encounter, do_sign_document
from chartdesk.charts.models import DocumentType
from chartdesk.coding.actions import do_load_code_set
from chartdesk.coding.models import CodeSystem
from chartdesk.patients.schemas import IdentifierInput
from tests.support import factories

NOTE_TEXT = (
    "Chief complaint: shortness of breath.\n"
    "BNP 1,450 pg/mL. Ejection fraction 30% on echocardiogram.\n"
    "Bilateral lower extremity edema. Started IV furosemide.\n"
    "History of type 2 diabetes on insulin.\n"
    "Assessment:\n1. Congestive heart failure.\n2. Urinary tract infection.\nDenies chest pain."
)


@pytest.fixture
def code_sets(db: Any, hcpcs_sample: Any) -> None:
    """ICD-10-CM and ICD-10-PCS come from tests/coding/conftest.py (a real subset, loaded once per
    session); HCPCS from the lines of CMS's own file that the coding tests ship."""
    do_load_code_set(CodeSystem.HCPCS, hcpcs_sample, acting_user=None)


def fresh(user: Any) -> Any:
    return get_user_model().objects.get(pk=user.pk)


@dataclass
class Staff:
    coder: Any
    other_coder: Any
    manager: Any
    doctor: Any  # provider-role user linked to Dr Ada Lovelace
    other_doctor: Any  # provider-role user linked to Dr Grace Hopper
    registrar: Any


@pytest.fixture
def staff(db: Any) -> Staff:
    doctor = factories.make_user("provider", username="dr-lovelace", first_name="Ada", last_name="Lovelace")
    factories.make_provider("Ada", "Lovelace", user=doctor)
    other = factories.make_user("provider", username="dr-hopper")
    factories.make_provider("Grace", "Hopper", user=other, npi="1245319599")
    return Staff(
        coder=factories.make_user("coder", username="coder-one"),
        other_coder=factories.make_user("coder", username="coder-two"),
        manager=factories.make_user("him_manager", username="him-boss"),
        doctor=fresh(doctor),
        other_doctor=fresh(other),
        registrar=factories.make_user("registrar", username="desk-clerk"),
    )


def finished_encounter(
    staff: Staff,
    *,
    encounter_class: str = "inpatient",
    days_ago: int = 3,
    length_days: int = 2,
    patient: Any = None,
    payer: tuple[str, str] | None = None,
    text: str = NOTE_TEXT,
) -> Any:
    """A stay attended by Dr Lovelace with one signed note, discharged (or finished) `days_ago` days ago."""
    if patient is None:
        identifiers = (IdentifierInput(type=payer[0], issuer=payer[1], value="1EG4TE5MK73"),) if payer else ()
        patient = factories.make_patient("Rosa", f"Parks{days_ago}{encounter_class[:3]}", identifiers=identifiers)
    end = timezone.now() - datetime.timedelta(days=days_ago)
    start = end - datetime.timedelta(days=length_days)
    encounter = factories.make_encounter(patient, encounter_class, admit_at=start, acting_user=staff.registrar,
                                         attending=staff.doctor.provider)
    note = do_create_note(
        patient, document_type=DocumentType.DISCHARGE_SUMMARY if encounter_class == "inpatient"
        else DocumentType.PROGRESS_NOTE, title="Summary", text=text, service_date=timezone.localtime(start).date(),
        acting_user=staff.doctor, encounter=encounter, author=staff.doctor.provider,
    )
    do_sign_document(note, acting_user=staff.doctor)
    if encounter_class == "outpatient":
        return do_finish_encounter(encounter, acting_user=staff.registrar, finished_at=end)
    return do_discharge_encounter(encounter, discharge_at=end, disposition="01", acting_user=staff.registrar)


def revision_of(encounter: Any) -> int:
    """The case revision the coding screen would show now (0 before the case exists); takes a case,
    an encounter or an encounter id."""
    from chartdesk.coding.workflow.models import CodingCase

    if isinstance(encounter, int):
        encounter_id = encounter
    else:
        encounter_id = getattr(encounter, "encounter_id", None) or encounter.pk
    case = CodingCase.objects.filter(encounter_id=encounter_id).first()
    return case.revision if case else 0
