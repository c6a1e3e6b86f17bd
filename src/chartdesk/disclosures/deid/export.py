"""The de-identified data set: patients, encounters and document text, as CSV and NDJSON.

Structured fields are chosen, not scrubbed: names, MRNs, SSNs, contact details, addresses, plan and
account numbers are simply never written. What is written is reduced (dates to the year or shifted,
ZIP to three digits or 000, ages over 89 to 90+), and free text goes through the TextScrubber with
every name and number the system knows for the patient and its staff.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import zipfile
from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.models import Addendum, Document, DocumentStatus, Encounter, Provider
from chartdesk.core.crypto import decrypt_text
from chartdesk.core.dates import age_on
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.disclosures.deid.safe_harbor import DatePolicy, TextScrubber, age_band, zip3
from chartdesk.jobs.actions import do_start_job
from chartdesk.jobs.models import Job
from chartdesk.patients.access import access_patient_by_id
from chartdesk.patients.models import Patient

EXPORT = "disclosures.export_deidentified"
SHIFT_RANGE_DAYS = 365
NO_PATIENTS = "Name at least one patient by MRN."
UNKNOWN_MRNS = "No patient with MRN {mrns}."
DATE_MODE = "Choose dates as 'year' or 'shift'."
PATIENT_COLUMNS = ["research_id", "sex", "age", "birth_year", "deceased", "state", "zip3", "encounters", "documents"]
ENCOUNTER_COLUMNS = ["research_id", "encounter", "class", "admitted", "discharged", "service", "disposition", "reason"]
DOCUMENT_COLUMNS = ["research_id", "encounter", "document", "type", "service_date", "status", "text"]


def shift_days_for(patient: Patient) -> int:
    """A per-patient shift, the same in every export, from a keyed hash (never from the patient's data)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"deid-shift:{patient.pk}".encode(), hashlib.sha256).digest()
    days = int.from_bytes(digest[:4], "big") % (2 * SHIFT_RANGE_DAYS) - SHIFT_RANGE_DAYS
    return days or 1


def staff_names() -> set[str]:
    """Every staff and clinician name the system knows, as words to remove from text."""
    names: set[str] = set()
    for given, family in Provider.objects.values_list("given_name", "family_name"):
        names.update((given, family, f"{given} {family}"))
    for first, last in get_user_model().objects.values_list("first_name", "last_name"):
        names.update(value for value in (first, last) if value)
    return {name for name in names if name}


def patient_names(patient: Patient) -> set[str]:
    names = {patient.given_name, patient.family_name, patient.middle_name, patient.preferred_name}
    for row in patient.names.all():
        names.update((row.given_name, row.middle_name, row.family_name))
    return {name for name in names if name}


def patient_values(patient: Patient) -> set[str]:
    """Identifiers of the patient that may appear in text in any format."""
    values = {patient.mrn, patient.email}
    values.update(patient.phones.values_list("number", flat=True))
    values.update(patient.identifiers.values_list("value", flat=True))
    values.update(Encounter.objects.filter(patient=patient).values_list("account_number", flat=True))
    values.update(address.line1 for address in patient.addresses.all())
    if patient.ssn_encrypted:
        values.add(decrypt_text(patient.ssn_encrypted))
    return {value for value in values if value}


def _home_address(patient: Patient) -> Any:
    return patient.addresses.filter(active=True).order_by("-id").first()


def _document_text(document: Document) -> str:
    version = document.current_version
    parts = [version.text if version is not None else ""]
    parts += [addendum.text for addendum in Addendum.objects.filter(document=document).order_by("created_at")]
    return "\n".join(part for part in parts if part)


def deidentify_patient(patient: Patient, research_id: str, *, date_mode: str, staff: set[str],
                       today: date | None = None) -> dict[str, Any]:
    """One patient as a de-identified record with its encounters and documents."""
    today = today or timezone.localdate()
    policy = DatePolicy(date_mode, shift_days_for(patient) if date_mode == "shift" else 0)
    address = _home_address(patient)
    cities = {row.city for row in patient.addresses.all()}
    scrubber = TextScrubber(known_names=patient_names(patient) | staff, cities=cities, dates=policy,
                            known_values=patient_values(patient))
    end = timezone.localtime(patient.deceased_at).date() if patient.deceased_at else today
    # An incomplete legacy record may have no date of birth: the export then gives no age at all.
    age = age_on(patient.birth_date, end) if patient.birth_date else None
    encounters = list(Encounter.objects.filter(patient=patient).order_by("admit_at", "id"))
    numbers = {encounter.pk: index for index, encounter in enumerate(encounters, start=1)}
    documents = list(Document.objects.filter(patient=patient).exclude(status=DocumentStatus.ENTERED_IN_ERROR)
                     .select_related("current_version").order_by("service_date", "id"))
    return {
        "research_id": research_id,
        "sex": patient.sex,
        "age": "" if age is None else age_band(age),
        # A birth year that reveals an age over 89 is aggregated away with the age.
        "birth_year": "" if age is None or age > 89 else policy.show(patient.birth_date),
        "deceased": policy.show(timezone.localtime(patient.deceased_at).date()) if patient.deceased_at else "",
        "state": address.state if address else "",
        "zip3": zip3(address.postal_code) if address else "000",
        "encounters": [
            {
                "encounter": numbers[encounter.pk],
                "class": encounter.encounter_class,
                "admitted": policy.show(timezone.localtime(encounter.admit_at).date()),
                "discharged": policy.show(timezone.localtime(encounter.discharge_at).date())
                if encounter.discharge_at else "",
                "service": scrubber.scrub(encounter.service),
                "disposition": encounter.discharge_disposition,
                "reason": scrubber.scrub(encounter.reason),
            }
            for encounter in encounters
        ],
        "documents": [
            {
                "encounter": numbers.get(document.encounter_id, ""),
                "document": index,
                "type": document.get_document_type_display(),
                "service_date": policy.show(document.service_date),
                "status": document.status,
                "text": scrubber.scrub(_document_text(document)),
            }
            for index, document in enumerate(documents, start=1)
        ],
    }


def build_dataset(patients: list[Patient], *, date_mode: str,
                  progress: Callable[[float, str], None] | None = None) -> dict[str, str]:
    """The files of the data set: patients.csv, encounters.csv, documents.csv and dataset.ndjson."""
    staff = staff_names()
    records = []
    for index, patient in enumerate(patients, start=1):
        if progress is not None:
            progress(100 * (index - 1) / len(patients), f"{index - 1} of {len(patients)} patients de-identified")
        records.append(deidentify_patient(patient, f"R{index:05d}", date_mode=date_mode, staff=staff))
    tables: dict[str, tuple[list[str], list[dict[str, Any]]]] = {
        "patients.csv": (PATIENT_COLUMNS, []), "encounters.csv": (ENCOUNTER_COLUMNS, []),
        "documents.csv": (DOCUMENT_COLUMNS, []),
    }
    for record in records:
        tables["patients.csv"][1].append({**{key: record[key] for key in PATIENT_COLUMNS[:-2]},
                                          "encounters": len(record["encounters"]),
                                          "documents": len(record["documents"])})
        research_id = {"research_id": record["research_id"]}
        tables["encounters.csv"][1].extend([{**research_id, **row} for row in record["encounters"]])
        tables["documents.csv"][1].extend([{**research_id, **row} for row in record["documents"]])
    files = {}
    for name, (columns, rows) in tables.items():
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        files[name] = buffer.getvalue()
    files["dataset.ndjson"] = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    return files


def checked_patients(mrns: list[str], *, date_mode: str, acting_user: Any) -> list[Patient]:
    """The patients named by MRN, in the order named, if `acting_user` may export each of them."""
    if acting_user is not None and (not acting_user.is_authenticated or not acting_user.has_perm(EXPORT)):
        raise PermissionRefused("You do not have permission to export de-identified data.")
    if date_mode not in ("year", "shift"):
        raise ChartdeskError(DATE_MODE, field="date_mode")
    wanted = list(dict.fromkeys(mrn.strip() for mrn in mrns if mrn.strip()))
    if not wanted:
        raise ChartdeskError(NO_PATIENTS, field="patients")
    found = {patient.mrn: patient for patient in Patient.objects.filter(mrn__in=wanted)}
    if acting_user is not None:
        for mrn, patient in list(found.items()):
            try:
                access_patient_by_id(acting_user, patient.pk, permission=EXPORT, audit=False)
            except ChartdeskError:
                del found[mrn]  # a restricted chart the user may not open is as absent as a missing one
    missing = [mrn for mrn in wanted if mrn not in found]
    if missing:
        raise ChartdeskError(UNKNOWN_MRNS.format(mrns=", ".join(missing)), field="patients")
    return [found[mrn] for mrn in wanted]


def do_export_deidentified(mrns: list[str], *, date_mode: str, acting_user: Any,
                           builder: Callable[..., dict[str, str]] = build_dataset,
                           progress: Callable[[float, str], None] | None = None) -> dict[str, str]:
    """Export a de-identified data set of the patients named by MRN; each patient's export is audited.

    `acting_user` None means the command line (an operator on the server), audited as such.
    """
    patients = checked_patients(mrns, date_mode=date_mode, acting_user=acting_user)
    files = builder(patients, date_mode=date_mode, progress=progress)
    with transaction.atomic():
        for patient in patients:
            record_event(AuditAction.EXPORT, user=acting_user, username="" if acting_user else "chartdesk deid export",
                         patient=patient, object_type="deidentified_export", object_id=patient.pk,
                         detail={"date_mode": date_mode, "patients": len(patients)})
    return files


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def do_request_deidentified_export(mrns: list[str], *, date_mode: str, acting_user: Any) -> Job:
    """Check the request now (permission, date mode, every MRN one the user may export) and build the
    data set as a background job; its ZIP is downloaded from the jobs page by the user who asked."""
    from chartdesk.disclosures.tasks import deidentified_export

    patients = checked_patients(mrns, date_mode=date_mode, acting_user=acting_user)
    count = len(patients)
    title = f"De-identified export of {count} patient{'s' if count != 1 else ''}"
    return do_start_job(deidentified_export, title=title, acting_user=acting_user, about_type="deidentified_export",
                        arguments={"mrns": [patient.mrn for patient in patients], "date_mode": date_mode})
