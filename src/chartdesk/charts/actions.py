"""Every change to the legal health record goes through one of these actions.

Each action checks the acting user's permission and that they may open the patient's chart (a
restricted chart refuses writes exactly as it refuses reads), validates its input with a message
naming the field, runs in one transaction, bumps the document's revision (its ETag), and writes its
audit event in that same transaction. Nothing is ever deleted or overwritten: a draft edit and a
correction add a version, an addendum adds a row, "entered in error" sets a status with a reason.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts import files
from chartdesk.charts.models import (
    AccountNumberSequence,
    Addendum,
    CareRole,
    DischargeDisposition,
    Document,
    DocumentStatus,
    DocumentType,
    DocumentVersion,
    Encounter,
    EncounterClass,
    EncounterProvider,
    EncounterStatus,
    Provider,
)
from chartdesk.core import clock
from chartdesk.core.errors import ChartdeskError, ConcurrentChange, PermissionRefused
from chartdesk.core.notices import Change, announce
from chartdesk.core.permissions import NOT_ALLOWED, require_permission
from chartdesk.patients.access import refuse_change_to_closed_chart
from chartdesk.patients.models import Patient

# A workstation clock a few minutes ahead of the server must not make "now" look like the future.
CLOCK_SKEW = timedelta(minutes=5)
ACCOUNT_NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9-]{1,20}$")

PATIENT_MERGED = "This chart was merged into MRN {mrn}; write to the surviving chart instead."
ENCOUNTER_CLASS_UNKNOWN = "Choose the encounter class: outpatient, emergency, inpatient or observation."
ADMIT_IN_FUTURE = "The admission time {when} is in the future."
BEFORE_BIRTH = "The {what} {when} is before the patient's date of birth ({born})."
ACCOUNT_NUMBER_INVALID = "The account number may hold only letters, digits and dashes (up to 20)."
ACCOUNT_NUMBER_TAKEN = "The account number {number} is already used by another encounter."
TOO_LONG = "The {what} may be at most {limit} characters."
PROVIDER_INVALID = "Choose an active provider as the {what}."
ENCOUNTER_NOT_OPEN = "This encounter is already {status}; it cannot be closed again."
OUTPATIENT_NOT_DISCHARGED = "An outpatient visit is finished, not discharged: use Finish visit."
ONLY_OUTPATIENT_FINISHED = "Only an outpatient visit is finished this way; discharge the {kind} stay instead."
DISCHARGE_BEFORE_ADMIT = "The discharge time {when} is not after the admission time {admit}."
FINISH_BEFORE_ADMIT = "The visit cannot finish ({when}) before it started ({admit})."
DISCHARGE_IN_FUTURE = "The discharge time {when} is in the future."
DISPOSITION_UNKNOWN = "Choose the discharge disposition from the list."
CARE_ROLE_UNKNOWN = "Choose the provider's role: attending, admitting, consulting, surgeon or referring."
ALREADY_ATTENDING = "This encounter already has an attending provider ({provider})."
ALREADY_ON_CARE_TEAM = "{provider} is already on this encounter as {role}."
DOCUMENT_TYPE_UNKNOWN = "Choose the document type from the list."
TITLE_REQUIRED = "Give the document a title."
SERVICE_DATE_REQUIRED = "Give the service date."
SERVICE_DATE_IN_FUTURE = "The service date {when} is after today."
ENCOUNTER_OTHER_PATIENT = "The encounter {number} belongs to another patient."
ENCOUNTER_RETRACTED = "The encounter {number} was entered in error; file the document elsewhere."
TEXT_REQUIRED = "Write the text of the note."
TEXT_UNCHANGED = "The text is unchanged; nothing was saved."
REASON_REQUIRED = "Give the reason for the {what}."
STALE_REVISION = "This document was changed by someone else since you opened it; reload it and try again."
DOCUMENT_RETRACTED = "This document was marked entered in error; it can no longer change."
DOCUMENT_SIGNED = "This document is signed and cannot be edited; make a correction or add an addendum."
DOCUMENT_NOT_SIGNED = "This document is not signed yet: edit the draft instead."
ALREADY_SIGNED = "The current version of this document is already signed."
NOTHING_TO_SIGN = "There is nothing to sign: the document has neither text nor a file."
CORRECTION_EMPTY = "Give the corrected text or a replacement file."
ADDENDUM_TEXT_REQUIRED = "Write the text of the addendum."
ADDENDUM_ALREADY_SIGNED = "This addendum is already signed."
ALREADY_RETRACTED = "This document is already marked entered in error."
SIGNER_NOT_PROVIDER = (
    "Only a provider linked to your log-in can sign; ask an administrator to link your clinician record."
)
SIGNER_INACTIVE = "Your clinician record is inactive, so you cannot sign."
SIGNER_NOT_AUTHOR = "Only the author, {author}, can sign this document."
ADDENDUM_SIGNER_NOT_WRITER = "Only {writer}, who wrote this addendum, can sign it."


# ----------------------------------------------------------------------------- shared checks


def _require_chart(user: Any, patient: Patient, *, writing: bool = True) -> None:
    """A restricted chart the user may not open refuses writes as it refuses reads: as not found."""
    refuse_change_to_closed_chart(user, patient, during="change to the record",
                                  merged=PATIENT_MERGED if writing else None)


def _aware(moment: datetime, field: str) -> datetime:
    if not isinstance(moment, datetime):
        raise ChartdeskError(f"Give the {field.replace('_', ' ')} as a date and time.", field=field)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _shown(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _limited(value: str | None, limit: int, what: str, field: str) -> str:
    cleaned = (value or "").strip()
    if len(cleaned) > limit:
        raise ChartdeskError(TOO_LONG.format(what=what, limit=limit), field=field)
    return cleaned


def _active_provider(provider: Any, what: str, field: str) -> Provider:
    if not isinstance(provider, Provider) or not provider.active:
        raise ChartdeskError(PROVIDER_INVALID.format(what=what), field=field)
    return provider


def provider_of(user: Any) -> Provider | None:
    """The clinician record linked to a log-in, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.provider
    except ObjectDoesNotExist:
        return None


def _audit(action: str, user: Any, patient: Patient, object_type: str, object_id: Any, **detail: Any) -> None:
    record_event(action, user=user, patient=patient, object_type=object_type, object_id=object_id, detail=detail)


# ----------------------------------------------------------------------------- encounters


def _next_account_number() -> str:
    # The counter row is locked so that two registrars never draw the same number; the loop skips
    # numbers someone typed by hand (ADT feeds bring their own account numbers).
    sequence, _ = AccountNumberSequence.objects.select_for_update().get_or_create(id=1)
    while True:
        sequence.last_serial += 1
        candidate = f"V{sequence.last_serial}"
        if not Encounter.objects.filter(account_number=candidate).exists():
            break
    sequence.save(update_fields=["last_serial"])
    return candidate


def checked_opening(patient: Patient, *, encounter_class: str, admit_at: datetime, attending: Provider | None,
                    service: str, location: str, reason: str) -> tuple[datetime, str, str, str]:
    """What opening an encounter checks (shared with the import's bulk path): the aware admission
    time and the trimmed service, location and reason."""
    if encounter_class not in EncounterClass.values:
        raise ChartdeskError(ENCOUNTER_CLASS_UNKNOWN, field="encounter_class")
    admit_at = _aware(admit_at, "admit_at")
    if admit_at > clock.now() + CLOCK_SKEW:
        raise ChartdeskError(ADMIT_IN_FUTURE.format(when=_shown(admit_at)), field="admit_at")
    if patient.birth_date is not None and timezone.localtime(admit_at).date() < patient.birth_date:
        raise ChartdeskError(
            BEFORE_BIRTH.format(what="admission time", when=_shown(admit_at), born=patient.birth_date),
            field="admit_at",
        )
    if attending is not None:
        _active_provider(attending, "attending", "attending")
    return (admit_at, _limited(service, 80, "service", "service"), _limited(location, 80, "location", "location"),
            _limited(reason, 200, "reason for the visit", "reason"))


def do_open_encounter(
    patient: Patient,
    *,
    encounter_class: str,
    admit_at: datetime,
    acting_user: Any,
    attending: Provider | None = None,
    service: str = "",
    location: str = "",
    reason: str = "",
    account_number: str | None = None,
) -> Encounter:
    """Register an encounter (visit, emergency, admission, observation) for a patient; it starts in progress.

    The account number is drawn from the counter when None. Refuses an admission in the future or
    before the patient was born.
    """
    require_permission(acting_user, "charts.open_encounter", "open encounters")
    _require_chart(acting_user, patient)
    admit_at, service, location, reason = checked_opening(
        patient, encounter_class=encounter_class, admit_at=admit_at, attending=attending, service=service,
        location=location, reason=reason)
    chosen_number = (account_number or "").strip()
    if account_number is not None and not ACCOUNT_NUMBER_PATTERN.match(chosen_number):
        raise ChartdeskError(ACCOUNT_NUMBER_INVALID, field="account_number")

    with transaction.atomic():
        number = chosen_number or _next_account_number()
        if Encounter.objects.filter(account_number=number).exists():
            raise ChartdeskError(ACCOUNT_NUMBER_TAKEN.format(number=number), field="account_number")
        try:
            with transaction.atomic():
                encounter = Encounter.objects.create(
                    patient=patient,
                    account_number=number,
                    encounter_class=encounter_class,
                    admit_at=admit_at,
                    service=service,
                    location=location,
                    reason=reason,
                    created_by=acting_user,
                )
        except IntegrityError:  # a concurrent registration took the number between check and insert
            raise ChartdeskError(ACCOUNT_NUMBER_TAKEN.format(number=number), field="account_number") from None
        if attending is not None:
            EncounterProvider.objects.create(encounter=encounter, provider=attending, role=CareRole.ATTENDING)
        _audit(
            AuditAction.CREATE, acting_user, patient, "encounter", encounter.pk,
            account_number=number, encounter_class=encounter_class, admit_at=admit_at.isoformat(),
            attending_provider_id=attending.pk if attending else None,
        )
        announce(Change.VISIT_REGISTERED, patient=patient, encounter=encounter, acting_user=acting_user)
    return encounter


def _locked_encounter(encounter: Encounter) -> Encounter:
    # Row lock: two clerks closing the same stay must not both pass the "still open" check.
    locked = Encounter.objects.select_for_update().get(pk=encounter.pk)
    if locked.patient_id == encounter.patient_id and Encounter.patient.is_cached(encounter):
        # The chart the caller already holds (and checked): the audit event needs it, not a second read.
        locked.patient = encounter.patient
    return locked


def do_discharge_encounter(
    encounter: Encounter, *, discharge_at: datetime, disposition: str, acting_user: Any
) -> Encounter:
    """Close an emergency, inpatient or observation stay with its discharge time and disposition."""
    require_permission(acting_user, "charts.open_encounter", "discharge encounters")
    _require_chart(acting_user, encounter.patient)
    discharge_at = _aware(discharge_at, "discharge_at")
    if disposition not in DischargeDisposition.values:
        raise ChartdeskError(DISPOSITION_UNKNOWN, field="disposition")
    with transaction.atomic():
        locked = _locked_encounter(encounter)
        if locked.encounter_class == EncounterClass.OUTPATIENT:
            raise ChartdeskError(OUTPATIENT_NOT_DISCHARGED)
        if locked.status != EncounterStatus.IN_PROGRESS:
            raise ChartdeskError(ENCOUNTER_NOT_OPEN.format(status=locked.get_status_display().lower()))
        if discharge_at <= locked.admit_at:
            raise ChartdeskError(
                DISCHARGE_BEFORE_ADMIT.format(when=_shown(discharge_at), admit=_shown(locked.admit_at)),
                field="discharge_at",
            )
        if discharge_at > clock.now() + CLOCK_SKEW:
            raise ChartdeskError(DISCHARGE_IN_FUTURE.format(when=_shown(discharge_at)), field="discharge_at")
        locked.discharge_at = discharge_at
        locked.discharge_disposition = disposition
        locked.status = EncounterStatus.FINISHED
        locked.save(update_fields=["discharge_at", "discharge_disposition", "status"])
        _audit(
            AuditAction.UPDATE, acting_user, locked.patient, "encounter", locked.pk,
            change="discharge", discharge_at=discharge_at.isoformat(), disposition=disposition,
        )
    return locked


def do_finish_encounter(encounter: Encounter, *, acting_user: Any, finished_at: datetime | None = None) -> Encounter:
    """Close an outpatient visit (now, unless `finished_at` says when)."""
    require_permission(acting_user, "charts.open_encounter", "finish visits")
    _require_chart(acting_user, encounter.patient)
    finished_at = _aware(finished_at, "finished_at") if finished_at is not None else clock.now()
    with transaction.atomic():
        locked = _locked_encounter(encounter)
        if locked.encounter_class != EncounterClass.OUTPATIENT:
            raise ChartdeskError(ONLY_OUTPATIENT_FINISHED.format(kind=locked.get_encounter_class_display().lower()))
        if locked.status != EncounterStatus.IN_PROGRESS:
            raise ChartdeskError(ENCOUNTER_NOT_OPEN.format(status=locked.get_status_display().lower()))
        if finished_at < locked.admit_at:
            raise ChartdeskError(
                FINISH_BEFORE_ADMIT.format(when=_shown(finished_at), admit=_shown(locked.admit_at)),
                field="finished_at",
            )
        if finished_at > clock.now() + CLOCK_SKEW:
            raise ChartdeskError(DISCHARGE_IN_FUTURE.format(when=_shown(finished_at)), field="finished_at")
        locked.discharge_at = finished_at
        locked.status = EncounterStatus.FINISHED
        locked.save(update_fields=["discharge_at", "status"])
        _audit(
            AuditAction.UPDATE, acting_user, locked.patient, "encounter", locked.pk,
            change="finish", finished_at=finished_at.isoformat(),
        )
    return locked


def do_add_care_team_member(
    encounter: Encounter, provider: Provider, role: str, *, acting_user: Any
) -> EncounterProvider:
    """Put a provider on an encounter's care team (attending, admitting, consulting, surgeon, referring)."""
    require_permission(acting_user, "charts.open_encounter", "change care teams")
    _require_chart(acting_user, encounter.patient)
    if role not in CareRole.values:
        raise ChartdeskError(CARE_ROLE_UNKNOWN, field="role")
    _active_provider(provider, "care team member", "provider")
    with transaction.atomic():
        locked = _locked_encounter(encounter)
        team = list(locked.care_team.select_related("provider"))
        if role == CareRole.ATTENDING:
            attending = next((member for member in team if member.role == CareRole.ATTENDING), None)
            if attending is not None:
                raise ChartdeskError(ALREADY_ATTENDING.format(provider=attending.provider), field="role")
        if any(member.provider_id == provider.pk and member.role == role for member in team):
            raise ChartdeskError(
                ALREADY_ON_CARE_TEAM.format(provider=provider, role=CareRole(role).label.lower()), field="provider"
            )
        member = EncounterProvider.objects.create(encounter=locked, provider=provider, role=role)
        _audit(
            AuditAction.CREATE, acting_user, locked.patient, "encounter_provider", member.pk,
            encounter_id=locked.pk, provider_id=provider.pk, role=role,
        )
    return member


# ----------------------------------------------------------------------------- documents: creating


def _checked_document_fields(
    patient: Patient, *, document_type: str, title: str, service_date: Any, encounter: Encounter | None,
    author: Provider | None,
) -> tuple[str, date]:
    if document_type not in DocumentType.values:
        raise ChartdeskError(DOCUMENT_TYPE_UNKNOWN, field="document_type")
    title = (title or "").strip()
    if not title:
        raise ChartdeskError(TITLE_REQUIRED, field="title")
    if len(title) > 200:
        raise ChartdeskError(TOO_LONG.format(what="title", limit=200), field="title")
    if isinstance(service_date, datetime):
        service_date = timezone.localtime(_aware(service_date, "service_date")).date()
    if not isinstance(service_date, date):
        raise ChartdeskError(SERVICE_DATE_REQUIRED, field="service_date")
    if service_date > clock.localdate():
        raise ChartdeskError(SERVICE_DATE_IN_FUTURE.format(when=service_date.isoformat()), field="service_date")
    if patient.birth_date is not None and service_date < patient.birth_date:
        raise ChartdeskError(
            BEFORE_BIRTH.format(what="service date", when=service_date.isoformat(), born=patient.birth_date),
            field="service_date",
        )
    if encounter is not None:
        if encounter.patient_id != patient.pk:
            raise ChartdeskError(ENCOUNTER_OTHER_PATIENT.format(number=encounter.account_number), field="encounter")
        if encounter.status == EncounterStatus.ENTERED_IN_ERROR:
            raise ChartdeskError(ENCOUNTER_RETRACTED.format(number=encounter.account_number), field="encounter")
    if author is not None:
        _active_provider(author, "author", "author")
    return title, service_date


def _new_document(
    patient: Patient, *, document_type: str, title: str, service_date: date, encounter: Encounter | None,
    author: Provider | None, acting_user: Any, version_fields: dict[str, Any],
) -> Document:
    document = Document.objects.create(
        patient=patient,
        encounter=encounter,
        document_type=document_type,
        title=title,
        author=author,
        service_date=service_date,
        status=DocumentStatus.PRELIMINARY,
        created_by=acting_user,
    )
    version = DocumentVersion.objects.create(document=document, number=1, created_by=acting_user, **version_fields)
    document.current_version = version
    document.save(update_fields=["current_version"])
    return document


def do_create_note(
    patient: Patient,
    *,
    document_type: str,
    title: str,
    text: str,
    service_date: date,
    acting_user: Any,
    encounter: Encounter | None = None,
    author: Provider | None = None,
) -> Document:
    """Write a new note: an unsigned (preliminary) document with its text as version 1.

    Without an `author`, a provider writing the note is its author; a transcriptionist's note stays
    without one until a provider signs it.
    """
    require_permission(acting_user, "charts.write_note", "write notes")
    _require_chart(acting_user, patient)
    author = author if author is not None else provider_of(acting_user)
    title, service_date = _checked_document_fields(
        patient, document_type=document_type, title=title, service_date=service_date, encounter=encounter,
        author=author,
    )
    if not (text or "").strip():
        raise ChartdeskError(TEXT_REQUIRED, field="text")
    with transaction.atomic():
        document = _new_document(
            patient, document_type=document_type, title=title, service_date=service_date, encounter=encounter,
            author=author, acting_user=acting_user, version_fields={"text": text},
        )
        _audit(
            AuditAction.CREATE, acting_user, patient, "document", document.pk,
            document_type=document_type, title=title, version=1, encounter_id=encounter.pk if encounter else None,
        )
    return document


def do_upload_document(
    patient: Patient,
    *,
    upload: Any,
    document_type: str,
    title: str,
    service_date: date,
    acting_user: Any,
    encounter: Encounter | None = None,
    author: Provider | None = None,
) -> Document:
    """File an uploaded PDF, TIFF, PNG or JPEG into the chart as a new preliminary document.

    The file is checked by its content (see charts.files) and stored with its SHA-256.
    """
    require_permission(acting_user, "charts.upload_document", "upload documents")
    _require_chart(acting_user, patient)
    title, service_date = _checked_document_fields(
        patient, document_type=document_type, title=title, service_date=service_date, encounter=encounter,
        author=author,
    )
    checked = files.check_upload(upload)
    with transaction.atomic():
        document = _new_document(
            patient, document_type=document_type, title=title, service_date=service_date, encounter=encounter,
            author=author, acting_user=acting_user, version_fields=_file_fields(checked),
        )
        _audit(
            AuditAction.CREATE, acting_user, patient, "document", document.pk,
            document_type=document_type, title=title, version=1, file_name=checked.name,
            content_type=checked.content_type, size=checked.size, sha256=checked.sha256, pages=checked.page_count,
            encounter_id=encounter.pk if encounter else None,
        )
    return document


def _file_fields(checked: files.CheckedFile) -> dict[str, Any]:
    return {
        "file": files.store_file(checked),
        "file_name": checked.name,
        "content_type": checked.content_type,
        "file_size": checked.size,
        "file_sha256": checked.sha256,
        "page_count": checked.page_count,
    }


# ----------------------------------------------------------------------------- documents: changing


def _locked_document(document: Document, expected_revision: int | None, *, retracted: str = DOCUMENT_RETRACTED
                     ) -> Document:
    # Row lock: a second writer waits here and then sees the bumped revision, so two people editing
    # the same document get one success and one "changed by someone else", never a lost change.
    locked = Document.objects.select_for_update().get(pk=document.pk)
    if expected_revision is not None and int(expected_revision) != locked.revision:
        raise ConcurrentChange(STALE_REVISION)
    if locked.status == DocumentStatus.ENTERED_IN_ERROR:
        raise ChartdeskError(retracted)
    return locked


def _bump(document: Document, *fields: str) -> None:
    document.revision += 1
    document.save(update_fields=["revision", *fields])


def _copied_file_fields(version: DocumentVersion) -> dict[str, Any]:
    return {
        "file": version.file.name if version.file else None,
        "file_name": version.file_name,
        "content_type": version.content_type,
        "file_size": version.file_size,
        "file_sha256": version.file_sha256,
        "page_count": version.page_count,
    }


def do_edit_draft(document: Document, *, text: str, acting_user: Any, expected_revision: int) -> Document:
    """Save new text for an unsigned document as its next version; refused once it is signed."""
    require_permission(acting_user, "charts.write_note", "edit notes")
    _require_chart(acting_user, document.patient)
    if not (text or "").strip():
        raise ChartdeskError(TEXT_REQUIRED, field="text")
    with transaction.atomic():
        locked = _locked_document(document, expected_revision)
        current = locked.current_version
        if locked.status != DocumentStatus.PRELIMINARY or (current is not None and current.is_signed):
            raise ChartdeskError(DOCUMENT_SIGNED)
        if current is not None and current.text == text:
            raise ChartdeskError(TEXT_UNCHANGED, field="text")
        number = (current.number if current else 0) + 1
        version = DocumentVersion.objects.create(
            document=locked, number=number, text=text, created_by=acting_user,
            **(_copied_file_fields(current) if current else {}),
        )
        locked.current_version = version
        _bump(locked, "current_version")
        _audit(AuditAction.UPDATE, acting_user, locked.patient, "document", locked.pk, change="draft edit",
               version=number)
    return locked


def attestation_statement(provider: Provider, signed_at: datetime) -> str:
    name = f"{provider.given_name} {provider.family_name}".strip()
    who = f"{name}, {provider.credentials}" if provider.credentials else name
    return f"Electronically signed by {who} on {signed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def signing_problem(user: Any, document: Document) -> str:
    """Why `user` may not sign `document` ("" when they may): the desk uses it to offer the button."""
    if user is None or not user.has_perm("charts.sign_document"):
        return NOT_ALLOWED.format(what="sign documents")
    provider = provider_of(user)
    if provider is None:
        return SIGNER_NOT_PROVIDER
    if not provider.active:
        return SIGNER_INACTIVE
    if document.author_id is not None and document.author_id != provider.pk:
        return SIGNER_NOT_AUTHOR.format(author=document.author)
    return ""


def _signed_text(provider: Provider, signed_at: datetime, attestation: str | None) -> str:
    statement = attestation_statement(provider, signed_at)
    extra = (attestation or "").strip()
    return f"{statement}\n{extra[:500]}" if extra else statement


def _sign_version(version: DocumentVersion, user: Any, provider: Provider, attestation: str | None) -> None:
    signed_at = clock.now()
    version.signed_at = signed_at
    version.signed_by = user
    version.attestation = _signed_text(provider, signed_at, attestation)
    version.save(update_fields=["signed_at", "signed_by", "attestation"])


def do_sign_document(
    document: Document, *, acting_user: Any, attestation: str | None = None, expected_revision: int | None = None
) -> Document:
    """Electronically sign the current version; it is frozen from then on.

    Only a provider-linked user holding charts.sign_document signs: the author or, for a document
    without one, any provider (who then becomes its author). `attestation` adds the signer's own
    statement under the standard "Electronically signed by ..." line.
    """
    require_permission(acting_user, "charts.sign_document", "sign documents")
    _require_chart(acting_user, document.patient)
    with transaction.atomic():
        locked = _locked_document(document, expected_revision)
        version = locked.current_version
        if version is None or (not version.text.strip() and not version.file):
            raise ChartdeskError(NOTHING_TO_SIGN)
        if version.is_signed:
            raise ChartdeskError(ALREADY_SIGNED)
        problem = signing_problem(acting_user, locked)
        if problem:
            raise PermissionRefused(problem)
        provider = provider_of(acting_user)
        assert provider is not None  # signing_problem refuses users without one
        _sign_version(version, acting_user, provider, attestation)
        if locked.status == DocumentStatus.PRELIMINARY:
            locked.status = DocumentStatus.FINAL
        if locked.author_id is None:
            locked.author = provider
        _bump(locked, "status", "author")
        _audit(AuditAction.SIGN, acting_user, locked.patient, "document", locked.pk,
               version=version.number, attestation=version.attestation)
    return locked


def do_correct_document(
    document: Document,
    *,
    reason: str,
    acting_user: Any,
    expected_revision: int,
    text: str | None = None,
    upload: Any = None,
    sign: bool | None = None,
) -> Document:
    """Correct a signed document: a new version with its reason; every earlier version stays readable.

    `text` replaces the text and `upload` the file (either or both). The corrected version is signed
    at once when `sign` is True, or when it is None and the corrector may sign the document; a
    correction made by someone who cannot sign (a transcriptionist) waits for the author's signature.
    """
    require_permission(acting_user, "charts.correct_document", "correct documents")
    _require_chart(acting_user, document.patient)
    reason = (reason or "").strip()
    if not reason:
        raise ChartdeskError(REASON_REQUIRED.format(what="correction"), field="reason")
    if len(reason) > 300:
        raise ChartdeskError(TOO_LONG.format(what="reason", limit=300), field="reason")
    if text is not None and not text.strip() and upload is None:
        raise ChartdeskError(CORRECTION_EMPTY, field="text")
    if text is None and upload is None:
        raise ChartdeskError(CORRECTION_EMPTY, field="text")
    checked = files.check_upload(upload) if upload is not None else None
    with transaction.atomic():
        locked = _locked_document(document, expected_revision)
        if locked.status not in (DocumentStatus.FINAL, DocumentStatus.AMENDED):
            raise ChartdeskError(DOCUMENT_NOT_SIGNED)
        previous = locked.current_version
        assert previous is not None  # a signed document has a signed version
        new_text = previous.text if text is None else text
        if checked is None and new_text == previous.text:
            raise ChartdeskError(TEXT_UNCHANGED, field="text")
        file_fields = _file_fields(checked) if checked is not None else _copied_file_fields(previous)
        problem = signing_problem(acting_user, locked)
        if sign and problem:
            raise PermissionRefused(problem)
        version = DocumentVersion.objects.create(
            document=locked, number=previous.number + 1, text=new_text, change_reason=reason,
            created_by=acting_user, **file_fields,
        )
        signing = sign if sign is not None else not problem
        if signing:
            provider = provider_of(acting_user)
            assert provider is not None
            _sign_version(version, acting_user, provider, None)
        locked.current_version = version
        locked.status = DocumentStatus.AMENDED
        _bump(locked, "current_version", "status")
        _audit(
            AuditAction.UPDATE, acting_user, locked.patient, "document", locked.pk,
            change="correction", version=version.number, previous_version=previous.number, reason=reason,
            sha256=version.file_sha256 or None, signed=bool(signing),
        )
        if signing:
            _audit(AuditAction.SIGN, acting_user, locked.patient, "document", locked.pk,
                   version=version.number, attestation=version.attestation)
    return locked


def do_add_addendum(
    document: Document, *, text: str, acting_user: Any, sign: bool = True, expected_revision: int | None = None
) -> Addendum:
    """Append an addendum to a signed document without changing it; signed by its writer unless `sign` is False."""
    require_permission(acting_user, "charts.add_addendum", "add addenda")
    _require_chart(acting_user, document.patient)
    if not (text or "").strip():
        raise ChartdeskError(ADDENDUM_TEXT_REQUIRED, field="text")
    provider = provider_of(acting_user)
    if sign:
        if not acting_user.has_perm("charts.sign_document"):
            raise PermissionRefused(NOT_ALLOWED.format(what="sign documents"))
        if provider is None or not provider.active:
            raise PermissionRefused(SIGNER_NOT_PROVIDER if provider is None else SIGNER_INACTIVE)
    with transaction.atomic():
        locked = _locked_document(document, expected_revision)
        if locked.status not in (DocumentStatus.FINAL, DocumentStatus.AMENDED):
            raise ChartdeskError(DOCUMENT_NOT_SIGNED)
        version = locked.current_version
        assert version is not None
        addendum = Addendum.objects.create(document=locked, version=version, text=text, created_by=acting_user)
        if sign:
            assert provider is not None
            signed_at = clock.now()
            addendum.signed_at = signed_at
            addendum.signed_by = acting_user
            addendum.attestation = attestation_statement(provider, signed_at)
            addendum.save(update_fields=["signed_at", "signed_by", "attestation"])
        _bump(locked)
        _audit(AuditAction.CREATE, acting_user, locked.patient, "addendum", addendum.pk,
               document_id=locked.pk, version=version.number, signed=sign)
        if sign:
            _audit(AuditAction.SIGN, acting_user, locked.patient, "addendum", addendum.pk,
                   document_id=locked.pk, attestation=addendum.attestation)
    return addendum


def do_sign_addendum(addendum: Addendum, *, acting_user: Any, expected_revision: int,
                     attestation: str | None = None) -> Addendum:
    """Sign an addendum that was saved unsigned; only its writer signs it when the writer is a provider.

    `expected_revision` is the document revision the signer was shown the addendum at: nothing is
    signed blind or after a change the signer did not see."""
    require_permission(acting_user, "charts.sign_document", "sign documents")
    document = addendum.document
    _require_chart(acting_user, document.patient)
    provider = provider_of(acting_user)
    if provider is None or not provider.active:
        raise PermissionRefused(SIGNER_NOT_PROVIDER if provider is None else SIGNER_INACTIVE)
    with transaction.atomic():
        locked_document = _locked_document(document, expected_revision)
        locked = Addendum.objects.select_for_update().get(pk=addendum.pk)
        if locked.is_signed:
            raise ChartdeskError(ADDENDUM_ALREADY_SIGNED)
        writer = locked.created_by
        if writer is not None and writer.pk != acting_user.pk and provider_of(writer) is not None:
            raise PermissionRefused(ADDENDUM_SIGNER_NOT_WRITER.format(writer=provider_of(writer)))
        signed_at = clock.now()
        locked.signed_at = signed_at
        locked.signed_by = acting_user
        locked.attestation = _signed_text(provider, signed_at, attestation)
        locked.save(update_fields=["signed_at", "signed_by", "attestation"])
        _bump(locked_document)
        _audit(AuditAction.SIGN, acting_user, locked_document.patient, "addendum", locked.pk,
               document_id=locked_document.pk, attestation=locked.attestation)
    return locked


def do_retract_document(
    document: Document, *, reason: str, acting_user: Any, expected_revision: int | None = None
) -> Document:
    """Mark a document entered in error, with a reason. It stays in the record, struck out, readable
    only by users holding charts.view_retracted."""
    require_permission(acting_user, "charts.retract_document", "mark documents entered in error")
    _require_chart(acting_user, document.patient)
    reason = (reason or "").strip()
    if not reason:
        raise ChartdeskError(REASON_REQUIRED.format(what="marking it entered in error"), field="reason")
    with transaction.atomic():
        locked = _locked_document(document, expected_revision, retracted=ALREADY_RETRACTED)
        previous_status = locked.status
        locked.status = DocumentStatus.ENTERED_IN_ERROR
        locked.retracted_at = clock.now()
        locked.retracted_by = acting_user
        locked.retraction_reason = reason
        _bump(locked, "status", "retracted_at", "retracted_by", "retraction_reason")
        _audit(AuditAction.RETRACT, acting_user, locked.patient, "document", locked.pk,
               reason=reason, previous_status=previous_status)
    return locked
