"""Fixtures of the coding workflow: a small code-set release, finished encounters with notes, people.

The releases hold real codes with their real titles and flags (E11 a header, E11.9 billable, Z79.4
exempt from POA), made directly as rows: the loaders are the coding engineer's and have tests of
their own on the published files.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from chartdesk.charts.actions import do_create_note, do_discharge_encounter, do_finish_encounter, do_sign_document
from chartdesk.charts.models import DocumentType
from chartdesk.coding.models import Code, CodeLevel, CodeSetRelease, CodeSystem
from chartdesk.patients.schemas import IdentifierInput
from tests.support import factories

ICD10CM = [
    ("E11", "E11", "Type 2 diabetes mellitus", False, False),
    ("E119", "E11.9", "Type 2 diabetes mellitus without complications", True, False),
    ("E1165", "E11.65", "Type 2 diabetes mellitus with hyperglycemia", True, False),
    ("I10", "I10", "Essential (primary) hypertension", True, False),
    ("I509", "I50.9", "Heart failure, unspecified", True, False),
    ("I5023", "I50.23", "Acute on chronic systolic (congestive) heart failure", True, False),
    ("J189", "J18.9", "Pneumonia, unspecified organism", True, False),
    ("N390", "N39.0", "Urinary tract infection, site not specified", True, False),
    ("R079", "R07.9", "Chest pain, unspecified", True, False),
    ("Z794", "Z79.4", "Long term (current) use of insulin", True, True),
]
PCS = [("0DTJ4ZZ", "Resection of Appendix, Percutaneous Endoscopic Approach"),
       ("5A1955Z", "Respiratory Ventilation, Greater than 96 Consecutive Hours")]
HCPCS = [("G0008", "Administration of influenza virus vaccine"),
         ("J1100", "Injection, dexamethasone sodium phosphate, 1 mg")]

NOTE_TEXT = (
    "Chief complaint: shortness of breath.\n"
    "BNP 1,450 pg/mL. Ejection fraction 30% on echocardiogram.\n"
    "Bilateral lower extremity edema. Started IV furosemide.\n"
    "History of type 2 diabetes on insulin."
)


def _release(system: str, rows: list[tuple[str, str, str, bool, bool]]) -> None:
    release = CodeSetRelease.objects.create(
        system=system, label="test edition", effective_from=datetime.date(2020, 10, 1), source_name="tests",
        source_sha256="0" * 64, code_count=len(rows), loaded_at=timezone.now(),
    )
    Code.objects.bulk_create([
        Code(release=release, code=code, display=display, title=title, billable=billable, poa_exempt=exempt,
             level=CodeLevel.CODE if billable else CodeLevel.CATEGORY, sort_key=index)
        for index, (code, display, title, billable, exempt) in enumerate(rows)
    ])


@pytest.fixture
def code_sets(db: Any) -> None:
    _release(CodeSystem.ICD10CM, ICD10CM)
    _release(CodeSystem.ICD10PCS, [(code, code, title, True, False) for code, title in PCS])
    _release(CodeSystem.HCPCS, [(code, code, title, True, False) for code, title in HCPCS])


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
