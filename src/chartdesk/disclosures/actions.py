"""Every write of release of information: requests, authorizations, labels, redactions, releases, links.

Each action checks the permission and the patient's chart restriction, validates with a message
naming the field, runs in one transaction and writes its audit event in it. A release that an
authorization blocks is refused, and the refusal itself is recorded (in its own transaction, so the
audit row survives the refusal).
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditOutcome
from chartdesk.charts.files import check_upload, store_file
from chartdesk.charts.models import Document, DocumentType, Encounter
from chartdesk.core import clock
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.locking import lock_row
from chartdesk.core.permissions import require_permission
from chartdesk.disclosures import deadlines
from chartdesk.disclosures.authorizations import is_right_of_access, needs_authorization
from chartdesk.disclosures.fees import quote_fee
from chartdesk.disclosures.matching import NOT_MATCHING, candidate_mismatches, release_blockers
from chartdesk.disclosures.models import (
    Authorization,
    DeliveryFormat,
    Disclosure,
    DocumentSensitivity,
    DownloadLink,
    DownloadLinkUse,
    Invoice,
    LegalBasis,
    Purpose,
    Redaction,
    ReleasePacket,
    ReleaseRequest,
    RequesterType,
    RequestSequence,
    RequestStatus,
    SensitiveCategory,
)
from chartdesk.disclosures.packet import build_packet, parse_pages
from chartdesk.disclosures.selection import decide_documents
from chartdesk.patients.access import refuse_change_to_closed_chart
from chartdesk.patients.models import Patient

WORK = "disclosures.work_requests"
PATIENT_MERGED = "This chart was merged into MRN {mrn}; record the authorization on the surviving chart instead."
RELEASE = "disclosures.release_records"
LABEL = "disclosures.label_sensitivity"
DOWNLOAD_SALT = "chartdesk.disclosures.download"
DEFAULT_LINK_HOURS = 72

REQUIRED = "Give the {what}."
CHOICE = "Choose the {what} from the list."
RECEIVED_IN_FUTURE = "The date received ({when:%Y-%m-%d}) is after today."
DATES_REVERSED = "The first date of the records ({first:%Y-%m-%d}) is after the last ({last:%Y-%m-%d})."
UNKNOWN_DOCUMENT_TYPES = "Unknown document types: {types}."
ENCOUNTER_OTHER_PATIENT = "Encounter {number} belongs to another patient."
EMAIL_FOR_ELECTRONIC = "Give the requester's e-mail address: electronic delivery sends them a download link."
WRONG_STATUS = "This request is {status}; {action} is not possible now."
IDENTITY_FIRST = "Verify the requester's identity before processing the request."
AUTHORIZATION_OTHER_PATIENT = "That authorization belongs to another patient."
NOT_NEEDED = "This request needs no authorization ({why})."
NOTHING_TO_RELEASE = "No document of this request can be released: {why}"
ALREADY_LABELLED = "This document is already labelled {category}."
NOT_LABELLED = "This document carries no {category} label."
REDACTION_EMPTY = "Give the phrase to remove or the pages to withhold."
REDACTION_DOCUMENT = "That document is not in this request's patient's chart."
LINK_ONLY_ELECTRONIC = "Download links are for electronic delivery; this request is {format}."
LINK_HOURS = "A download link lasts between 1 and 720 hours."
REVOKED_ALREADY = "This authorization was already revoked on {when:%Y-%m-%d}."
REVOCATION_BEFORE_SIGNING = "The revocation date is before the authorization was signed."


class ReleaseBlocked(ChartdeskError):
    """The release may not go out; `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("The release is blocked: " + " ".join(problems))
        self.problems = problems


# ----------------------------------------------------------------------------- shared checks


def require_chart(user: Any, patient: Patient) -> None:
    """A restricted chart the user may not open refuses writes as it refuses reads: as not found."""
    refuse_change_to_closed_chart(user, patient, during="release of information")


def audit(action: str, user: Any, patient: Any, object_type: str, object_id: Any, **detail: Any) -> None:
    record_event(action, user=user, patient=patient, object_type=object_type, object_id=object_id, detail=detail)


def _locked(request: ReleaseRequest) -> ReleaseRequest:
    # Two specialists must not move one request at once: the row lock serialises them.
    return lock_row(request, "patient", "authorization", only_self=True)


def _expect(request: ReleaseRequest, statuses: tuple[str, ...], action: str) -> None:
    if request.status not in statuses:
        raise ChartdeskError(WRONG_STATUS.format(status=request.get_status_display().lower(), action=action))


def _set_status(request: ReleaseRequest, status: str, user: Any, note: str = "") -> None:
    previous = request.status
    request.status = status
    request.status_note = note[:300]
    request.save(update_fields=["status", "status_note"])
    audit(AuditAction.UPDATE, user, request.patient, "release_request", request.pk,
          number=request.number, status_from=previous, status_to=status, note=note[:300])


def deadline_rule(request: ReleaseRequest) -> deadlines.DeadlineRule:
    return deadlines.RIGHT_OF_ACCESS if is_right_of_access(request) else deadlines.THIRD_PARTY


# ----------------------------------------------------------------------------- requests


def _next_number(received_on: date) -> str:
    # The counter row is locked so that two specialists never draw the same number.
    sequence, _ = RequestSequence.objects.select_for_update().get_or_create(id=1)
    sequence.last_serial += 1
    sequence.save(update_fields=["last_serial"])
    return f"ROI-{received_on:%Y}-{sequence.last_serial:05d}"


def _checked_scope(patient: Patient, date_from: date | None, date_to: date | None, document_types: list[str],
                   encounters: list[Encounter]) -> list[str]:
    if date_from and date_to and date_from > date_to:
        raise ChartdeskError(DATES_REVERSED.format(first=date_from, last=date_to), field="date_from")
    unknown = sorted(set(document_types) - set(DocumentType.values))
    if unknown:
        raise ChartdeskError(UNKNOWN_DOCUMENT_TYPES.format(types=", ".join(unknown)), field="document_types")
    for encounter in encounters:
        if encounter.patient_id != patient.pk:
            raise ChartdeskError(ENCOUNTER_OTHER_PATIENT.format(number=encounter.account_number), field="encounters")
    return sorted(set(document_types))


def do_log_request(
    patient: Patient,
    *,
    requester_type: str,
    requester_name: str,
    purpose: str,
    acting_user: Any,
    received_on: date | None = None,
    requester_address: str = "",
    requester_email: str = "",
    purpose_detail: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    document_types: list[str] | None = None,
    encounters: list[Encounter] | None = None,
    delivery_format: str = DeliveryFormat.PDF,
) -> ReleaseRequest:
    """Log a request for copies of a patient's records; its due date follows the rule that applies."""
    require_permission(acting_user, WORK, "log release-of-information requests")
    require_chart(acting_user, patient)
    if requester_type not in RequesterType.values:
        raise ChartdeskError(CHOICE.format(what="requester type"), field="requester_type")
    if purpose not in Purpose.values:
        raise ChartdeskError(CHOICE.format(what="purpose"), field="purpose")
    if delivery_format not in DeliveryFormat.values:
        raise ChartdeskError(CHOICE.format(what="format"), field="delivery_format")
    requester_name = (requester_name or "").strip()
    if not requester_name:
        raise ChartdeskError(REQUIRED.format(what="requester's name"), field="requester_name")
    if delivery_format == DeliveryFormat.ELECTRONIC and not (requester_email or "").strip():
        raise ChartdeskError(EMAIL_FOR_ELECTRONIC, field="requester_email")
    today = clock.localdate()
    received_on = received_on or today
    if received_on > today:
        raise ChartdeskError(RECEIVED_IN_FUTURE.format(when=received_on), field="received_on")
    encounters = list(encounters or [])
    types = _checked_scope(patient, date_from, date_to, list(document_types or []), encounters)
    with transaction.atomic():
        request = ReleaseRequest(
            number=_next_number(received_on), patient=patient, requester_type=requester_type,
            requester_name=requester_name[:160], requester_address=(requester_address or "").strip(),
            requester_email=(requester_email or "").strip(), purpose=purpose,
            purpose_detail=(purpose_detail or "").strip()[:300], date_from=date_from, date_to=date_to,
            document_types=types, delivery_format=delivery_format, received_on=received_on,
            created_by=acting_user,
        )
        request.due_on = deadlines.due_date(deadline_rule(request), received_on)
        request.save()
        if encounters:
            request.encounters.set(encounters)
        audit(AuditAction.CREATE, acting_user, patient, "release_request", request.pk, number=request.number,
              requester_type=requester_type, purpose=purpose, due_on=f"{request.due_on:%Y-%m-%d}")
    return request


def do_verify_identity(request: ReleaseRequest, *, method: str, acting_user: Any) -> ReleaseRequest:
    """Record how the requester's identity (and a representative's authority) was verified."""
    require_permission(acting_user, WORK, "work release-of-information requests")
    require_chart(acting_user, request.patient)
    method = (method or "").strip()
    if not method:
        raise ChartdeskError(REQUIRED.format(what="way the identity was verified"), field="method")
    with transaction.atomic():
        locked = _locked(request)
        _expect(locked, (RequestStatus.LOGGED, RequestStatus.VALIDATING), "verifying identity")
        locked.identity_verified_at = clock.now()
        locked.identity_verified_by = acting_user
        locked.identity_method = method[:200]
        locked.save(update_fields=["identity_verified_at", "identity_verified_by", "identity_method"])
        _set_status(locked, RequestStatus.VALIDATING, acting_user, f"identity verified: {method[:200]}")
    return locked


def do_attach_authorization(request: ReleaseRequest, authorization: Authorization, *,
                            acting_user: Any) -> ReleaseRequest:
    """Link the patient's authorization to the request (it is validated when processing starts)."""
    require_permission(acting_user, WORK, "work release-of-information requests")
    require_chart(acting_user, request.patient)
    if authorization.patient_id != request.patient_id:
        raise ChartdeskError(AUTHORIZATION_OTHER_PATIENT, field="authorization")
    # A mismatch is refused before anything is written, and the refusal is audited on its own.
    mismatches = candidate_mismatches(request, authorization) if needs_authorization(request) else []
    if mismatches:
        record_block(request, mismatches, acting_user, why="authorization does not match the request",
                     authorization_id=authorization.pk)
        raise ChartdeskError(NOT_MATCHING.format(why=" ".join(mismatches)), field="authorization")
    with transaction.atomic():
        locked = _locked(request)
        _expect(locked, (RequestStatus.LOGGED, RequestStatus.VALIDATING, RequestStatus.AWAITING_AUTHORIZATION),
                "attaching an authorization")
        locked.authorization = authorization
        locked.save(update_fields=["authorization"])
        audit(AuditAction.UPDATE, acting_user, locked.patient, "release_request", locked.pk,
              number=locked.number, authorization_id=authorization.pk)
    return locked


def do_start_processing(request: ReleaseRequest, *, acting_user: Any, today: date | None = None) -> ReleaseRequest:
    """Validate the request: identity, then the authorization when one is needed. A request whose
    authorization is missing or invalid waits for one, with the reasons in its status note."""
    require_permission(acting_user, WORK, "work release-of-information requests")
    require_chart(acting_user, request.patient)
    today = today or clock.localdate()
    with transaction.atomic():
        locked = _locked(request)
        _expect(locked, (RequestStatus.LOGGED, RequestStatus.VALIDATING, RequestStatus.AWAITING_AUTHORIZATION),
                "starting processing")
        if locked.requester_type in (RequesterType.PATIENT, RequesterType.PERSONAL_REPRESENTATIVE) and (
            locked.identity_verified_at is None
        ):
            raise ChartdeskError(IDENTITY_FIRST, field="method")
        problems = release_blockers(locked, today)
        if problems:
            _set_status(locked, RequestStatus.AWAITING_AUTHORIZATION, acting_user, " ".join(problems))
        else:
            _set_status(locked, RequestStatus.IN_PROCESSING, acting_user)
    return locked


def do_send_to_quality_check(request: ReleaseRequest, *, acting_user: Any) -> ReleaseRequest:
    """The documents are chosen and redacted; a second look before release."""
    require_permission(acting_user, WORK, "work release-of-information requests")
    require_chart(acting_user, request.patient)
    with transaction.atomic():
        locked = _locked(request)
        _expect(locked, (RequestStatus.IN_PROCESSING,), "quality check")
        selection = decide_documents(locked)
        if selection.problems:
            raise ChartdeskError(" ".join(selection.problems))
        if not selection.included:
            raise ChartdeskError(NOTHING_TO_RELEASE.format(why="every document is out (see the reasons)."))
        _set_status(locked, RequestStatus.QUALITY_CHECK, acting_user)
    return locked


def do_return_to_processing(request: ReleaseRequest, *, note: str, acting_user: Any) -> ReleaseRequest:
    require_permission(acting_user, WORK, "work release-of-information requests")
    require_chart(acting_user, request.patient)
    with transaction.atomic():
        locked = _locked(request)
        _expect(locked, (RequestStatus.QUALITY_CHECK,), "sending it back")
        _set_status(locked, RequestStatus.IN_PROCESSING, acting_user, (note or "").strip())
    return locked


def do_extend_request(request: ReleaseRequest, *, notice: str, acting_user: Any,
                      today: date | None = None) -> ReleaseRequest:
    """Use the one extension the rule allows; the written notice to the requester is kept."""
    require_permission(acting_user, WORK, "work release-of-information requests")
    require_chart(acting_user, request.patient)
    today = today or clock.localdate()
    rule = deadline_rule(request)
    with transaction.atomic():
        locked = _locked(request)
        if not locked.is_open:
            raise ChartdeskError(WRONG_STATUS.format(status=locked.get_status_display().lower(),
                                                     action="extending it"))
        problem = deadlines.extension_problem(rule, locked.received_on, today,
                                              already_extended=locked.extended_at is not None, notice=notice)
        if problem:
            raise ChartdeskError(problem, field="notice")
        locked.due_on = deadlines.extended_due_date(rule, locked.received_on)
        locked.extended_at = clock.now()
        locked.extension_notice = notice.strip()
        locked.save(update_fields=["due_on", "extended_at", "extension_notice"])
        audit(AuditAction.UPDATE, acting_user, locked.patient, "release_request", locked.pk,
              number=locked.number, extended_to=f"{locked.due_on:%Y-%m-%d}")
    return locked


def do_deny_request(request: ReleaseRequest, *, reason: str, acting_user: Any) -> ReleaseRequest:
    """Deny the request with the reason the requester is told."""
    require_permission(acting_user, WORK, "work release-of-information requests")
    require_chart(acting_user, request.patient)
    reason = (reason or "").strip()
    if not reason:
        raise ChartdeskError(REQUIRED.format(what="reason for the denial"), field="reason")
    with transaction.atomic():
        locked = _locked(request)
        if not locked.is_open:
            raise ChartdeskError(WRONG_STATUS.format(status=locked.get_status_display().lower(), action="denying it"))
        _set_status(locked, RequestStatus.DENIED, acting_user, reason)
    return locked


def do_close_request(request: ReleaseRequest, *, acting_user: Any) -> ReleaseRequest:
    require_permission(acting_user, WORK, "work release-of-information requests")
    require_chart(acting_user, request.patient)
    with transaction.atomic():
        locked = _locked(request)
        _expect(locked, (RequestStatus.RELEASED, RequestStatus.DENIED), "closing it")
        _set_status(locked, RequestStatus.CLOSED, acting_user)
    return locked


# ----------------------------------------------------------------------------- authorizations

AUTHORIZATION_FIELDS = (
    "information_described", "discloser", "recipient", "purpose", "expires_on", "expiration_event", "signed_on",
    "signature_present", "signer_name", "signed_by_representative", "representative_authority",
    "states_right_to_revoke", "states_conditioning", "states_redisclosure", "records_from", "records_to",
)


def do_record_authorization(patient: Patient, *, acting_user: Any, scanned_form: Any = None,
                            sensitive_categories: list[str] | None = None, purposes: list[str] | None = None,
                            document_types: list[str] | None = None, **fields: Any) -> Authorization:
    """Record an authorization as received: the scanned form (checked like any upload) and its elements.

    An incomplete form is recorded all the same (it is what the patient sent); validation names what
    is missing when a release relies on it.
    """
    require_permission(acting_user, WORK, "record authorizations")
    # A new authorization belongs on the surviving chart (requests already open on a merged chart
    # are worked to the end, so only this new record refuses a merged chart).
    refuse_change_to_closed_chart(acting_user, patient, during="release of information", merged=PATIENT_MERGED)
    unknown = sorted(set(fields) - set(AUTHORIZATION_FIELDS))
    if unknown:
        raise ChartdeskError(f"Unknown authorization fields: {', '.join(unknown)}.")
    categories = sorted(set(sensitive_categories or []))
    if set(categories) - set(SensitiveCategory.values):
        raise ChartdeskError(CHOICE.format(what="sensitive categories"), field="sensitive_categories")
    coded_purposes = sorted(set(purposes or []))
    if set(coded_purposes) - set(Purpose.values):
        raise ChartdeskError(CHOICE.format(what="purposes"), field="purposes")
    types = sorted(set(document_types or []))
    unknown_types = sorted(set(types) - set(DocumentType.values))
    if unknown_types:
        raise ChartdeskError(UNKNOWN_DOCUMENT_TYPES.format(types=", ".join(unknown_types)), field="document_types")
    first, last = fields.get("records_from"), fields.get("records_to")
    if first and last and first > last:
        raise ChartdeskError(DATES_REVERSED.format(first=first, last=last), field="records_from")
    checked = check_upload(scanned_form) if scanned_form is not None else None
    with transaction.atomic():
        authorization = Authorization(patient=patient, sensitive_categories=categories, purposes=coded_purposes,
                                      document_types=types, created_by=acting_user, **fields)
        if checked is not None:
            authorization.scanned_form.name = store_file(checked)
            authorization.scanned_form_sha256 = checked.sha256
        authorization.save()
        audit(AuditAction.CREATE, acting_user, patient, "authorization", authorization.pk,
              categories=categories, purposes=coded_purposes, document_types=types, scanned=checked is not None)
    return authorization


def do_revoke_authorization(authorization: Authorization, *, revoked_on: date, note: str,
                            acting_user: Any) -> Authorization:
    """Record the patient's written revocation; from that date nothing more is released under it."""
    require_permission(acting_user, WORK, "record revocations")
    require_chart(acting_user, authorization.patient)
    with transaction.atomic():
        locked = Authorization.objects.select_for_update().get(pk=authorization.pk)
        if locked.revoked_on is not None:
            raise ChartdeskError(REVOKED_ALREADY.format(when=locked.revoked_on))
        if locked.signed_on and revoked_on < locked.signed_on:
            raise ChartdeskError(REVOCATION_BEFORE_SIGNING, field="revoked_on")
        locked.revoked_on = revoked_on
        locked.revocation_note = (note or "").strip()[:300]
        locked.save(update_fields=["revoked_on", "revocation_note"])
        audit(AuditAction.UPDATE, acting_user, locked.patient, "authorization", locked.pk,
              revoked_on=f"{revoked_on:%Y-%m-%d}")
    return locked


# ----------------------------------------------------------------------------- sensitivity labels


def do_label_document(document: Document, *, category: str, acting_user: Any, note: str = "") -> DocumentSensitivity:
    """Label a document as sensitive: it is released only where the rules for that category allow."""
    require_permission(acting_user, LABEL, "label documents as sensitive")
    require_chart(acting_user, document.patient)
    if category not in SensitiveCategory.values:
        raise ChartdeskError(CHOICE.format(what="sensitive category"), field="category")
    with transaction.atomic():
        if DocumentSensitivity.objects.filter(document=document, category=category, removed_at__isnull=True).exists():
            raise ChartdeskError(ALREADY_LABELLED.format(category=SensitiveCategory(category).label), field="category")
        label = DocumentSensitivity.objects.create(document=document, category=category, note=(note or "")[:200],
                                                   labelled_by=acting_user)
        audit(AuditAction.UPDATE, acting_user, document.patient, "document", document.pk, sensitivity_added=category)
    return label


def do_remove_label(document: Document, *, category: str, acting_user: Any) -> DocumentSensitivity:
    require_permission(acting_user, LABEL, "label documents as sensitive")
    require_chart(acting_user, document.patient)
    with transaction.atomic():
        label = (DocumentSensitivity.objects.select_for_update()
                 .filter(document=document, category=category, removed_at__isnull=True).first())
        if label is None:
            raise ChartdeskError(NOT_LABELLED.format(category=category), field="category")
        label.removed_at = clock.now()
        label.removed_by = acting_user
        label.save(update_fields=["removed_at", "removed_by"])
        audit(AuditAction.UPDATE, acting_user, document.patient, "document", document.pk, sensitivity_removed=category)
    return label


def do_set_sensitivity(document: Document, *, categories: list[str], acting_user: Any) -> list[str]:
    """Make the document's active labels exactly `categories`: the desk's control shows the current
    labels and posts the whole set back, so an unchanged form changes nothing. Returns the labels now on it."""
    require_permission(acting_user, LABEL, "label documents as sensitive")
    require_chart(acting_user, document.patient)
    wanted = set(categories)
    if wanted - set(SensitiveCategory.values):
        raise ChartdeskError(CHOICE.format(what="sensitive category"), field="category")
    with transaction.atomic():
        # The label rows are locked so that two specialists setting labels at once do not both add one.
        current = {label.category: label for label in DocumentSensitivity.objects.select_for_update()
                   .filter(document=document, removed_at__isnull=True)}
        now = clock.now()
        for category in sorted(set(current) - wanted):
            label = current[category]
            label.removed_at, label.removed_by = now, acting_user
            label.save(update_fields=["removed_at", "removed_by"])
            audit(AuditAction.UPDATE, acting_user, document.patient, "document", document.pk,
                  sensitivity_removed=category)
        for category in sorted(wanted - set(current)):
            DocumentSensitivity.objects.create(document=document, category=category, labelled_by=acting_user)
            audit(AuditAction.UPDATE, acting_user, document.patient, "document", document.pk,
                  sensitivity_added=category)
    return sorted(wanted)


# ----------------------------------------------------------------------------- redactions


def do_add_redaction(request: ReleaseRequest, document: Document, *, reason: str, acting_user: Any,
                     phrase: str = "", pages: str = "") -> Redaction:
    """Keep a phrase (wherever it appears in the document) or whole pages out of this release."""
    require_permission(acting_user, WORK, "redact releases")
    require_chart(acting_user, request.patient)
    if document.patient_id != request.patient_id:
        raise ChartdeskError(REDACTION_DOCUMENT, field="document")
    phrase, pages, reason = (phrase or "").strip(), (pages or "").strip(), (reason or "").strip()
    if not phrase and not pages:
        raise ChartdeskError(REDACTION_EMPTY, field="phrase")
    if not reason:
        raise ChartdeskError(REQUIRED.format(what="reason for the redaction"), field="reason")
    try:
        parse_pages(pages)
    except ValueError as problem:
        raise ChartdeskError(f"Pages: {problem}.", field="pages") from None
    with transaction.atomic():
        locked = _locked(request)
        _expect(locked, (RequestStatus.IN_PROCESSING, RequestStatus.QUALITY_CHECK), "redacting")
        redaction = Redaction.objects.create(request=locked, document=document, phrase=phrase[:300],
                                             pages=pages[:100], reason=reason[:200], created_by=acting_user)
        audit(AuditAction.UPDATE, acting_user, locked.patient, "release_request", locked.pk,
              redaction_id=redaction.pk, document_id=document.pk, pages=pages, reason=reason[:200])
    return redaction


# ----------------------------------------------------------------------------- release


def legal_basis_of(request: ReleaseRequest) -> str:
    if request.purpose in (Purpose.TREATMENT, Purpose.PAYMENT, Purpose.OPERATIONS):
        return LegalBasis.TPO
    if is_right_of_access(request):
        return LegalBasis.TO_PATIENT
    if request.requester_type == RequesterType.COURT:
        return LegalBasis.LEGAL_PROCESS
    if not needs_authorization(request):
        return LegalBasis.REQUIRED_BY_LAW
    return LegalBasis.AUTHORIZATION


def record_block(request: ReleaseRequest, problems: list[str], user: Any, *, why: str = "release blocked",
                 **detail: Any) -> None:
    """Write the refusal to the audit log in its own transaction, so that it outlives the refusal."""
    with transaction.atomic():
        record_event(
            AuditAction.ACCESS_DENIED, user=user, patient=request.patient, object_type="release_request",
            object_id=request.pk, outcome=AuditOutcome.DENIED,
            detail={"number": request.number, "why": why, "problems": problems, **detail},
        )


def do_release_request(request: ReleaseRequest, *, acting_user: Any, today: date | None = None) -> ReleasePacket:
    """Release the records: check the authorization again, build and store the packet, record the
    disclosure for the accounting, raise the invoice, and mark the request released.

    A missing, incomplete, expired or revoked authorization raises ReleaseBlocked naming every
    problem; the block is audited.
    """
    require_permission(acting_user, RELEASE, "release records")
    require_chart(acting_user, request.patient)
    today = today or clock.localdate()
    current = ReleaseRequest.objects.select_related("patient", "authorization").get(pk=request.pk)
    _expect(current, (RequestStatus.QUALITY_CHECK,), "releasing")
    selection = decide_documents(current)
    problems = release_blockers(current, today, selection.included) + selection.problems
    if not problems and not selection.included:
        problems.append(NOTHING_TO_RELEASE.format(why="every document is out (see the reasons)."))
    if problems:
        record_block(current, problems, acting_user)
        raise ReleaseBlocked(problems)
    built = build_packet(current, selection, user=acting_user, today=today)
    with transaction.atomic():
        locked = _locked(current)
        _expect(locked, (RequestStatus.QUALITY_CHECK,), "releasing")
        stored = default_storage.save(f"release-packets/{locked.number}-{built.sha256[:12]}.pdf",
                                      ContentFile(built.content))
        packet = ReleasePacket.objects.create(
            request=locked, file=stored, sha256=built.sha256, page_count=built.page_count, manifest=built.manifest,
            part2_notice=selection.part2_notice_required, created_by=acting_user,
        )
        quote = quote_fee(locked, built.page_count)
        Invoice.objects.create(request=locked, number=f"INV-{locked.number}", method=quote.method,
                               lines=[[text, cents] for text, cents in quote.lines], total_cents=quote.total_cents)
        basis = legal_basis_of(locked)
        from chartdesk.disclosures.models import EXEMPT_BASES

        Disclosure.objects.create(
            patient=locked.patient, request=locked, recipient_name=locked.requester_name,
            recipient_address=locked.requester_address,
            description=f"{len(selection.included)} document(s), {built.page_count} pages: "
            + "; ".join(f"{entry['type']} {entry['service_date']}" for entry in built.manifest["documents"])[:2000],
            purpose=locked.get_purpose_display() + (f": {locked.purpose_detail}" if locked.purpose_detail else ""),
            legal_basis=basis, accountable=basis not in EXEMPT_BASES,
            document_ids=[document.pk for document in selection.included],
            part2_notice=packet.part2_notice, recorded_by=acting_user,
        )
        locked.released_at = clock.now()
        locked.save(update_fields=["released_at"])
        _set_status(locked, RequestStatus.RELEASED, acting_user)
        audit(AuditAction.EXPORT, acting_user, locked.patient, "release_packet", packet.pk, number=locked.number,
              pages=built.page_count, sha256=built.sha256, part2_notice=packet.part2_notice,
              documents=[document.pk for document in selection.included])
    return packet


# ----------------------------------------------------------------------------- download links


def link_token(link: DownloadLink) -> str:
    return signing.dumps({"link": link.pk}, salt=DOWNLOAD_SALT, compress=True)


def do_create_download_link(packet: ReleasePacket, *, acting_user: Any, hours: int = DEFAULT_LINK_HOURS) -> str:
    """A signed, time-limited link to the packet for electronic delivery; returns its token."""
    require_permission(acting_user, RELEASE, "send release packets")
    require_chart(acting_user, packet.request.patient)
    if packet.request.delivery_format != DeliveryFormat.ELECTRONIC:
        raise ChartdeskError(LINK_ONLY_ELECTRONIC.format(format=packet.request.get_delivery_format_display().lower()))
    if not 1 <= hours <= 720:
        raise ChartdeskError(LINK_HOURS, field="hours")
    with transaction.atomic():
        link = DownloadLink.objects.create(packet=packet, expires_at=clock.now() + timedelta(hours=hours),
                                           created_by=acting_user)
        audit(AuditAction.CREATE, acting_user, packet.request.patient, "download_link", link.pk,
              packet_id=packet.pk, expires_at=link.expires_at.isoformat())
    return link_token(link)


def do_use_download_link(token: str, *, client_address: str = "") -> tuple[ReleasePacket, bytes]:
    """The packet behind a download link, if the token is genuine and unexpired; every use is logged.

    A forged token raises NotFound; an expired link logs the attempt and raises ChartdeskError.
    """
    try:
        payload = signing.loads(token, salt=DOWNLOAD_SALT, max_age=timedelta(days=31))
        link_id = int(payload["link"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise NotFound("download") from None
    link = DownloadLink.objects.select_related("packet__request__patient").filter(pk=link_id).first()
    if link is None:
        raise NotFound("download")
    packet = link.packet
    patient = packet.request.patient
    expired = link.expires_at <= clock.now()
    with transaction.atomic():
        DownloadLinkUse.objects.create(link=link, client_address=client_address[:64],
                                       outcome="expired" if expired else "downloaded")
        record_event(
            AuditAction.DOWNLOAD, username=f"recipient:{packet.request.requester_name}"[:150], patient=patient,
            object_type="download_link", object_id=link.pk,
            outcome=AuditOutcome.DENIED if expired else AuditOutcome.SUCCESS,
            detail={"packet_id": packet.pk, "request": packet.request.number, "expired": expired},
        )
    if expired:
        raise ChartdeskError("This download link has expired; ask the sender for a new one.")
    with default_storage.open(packet.file.name, "rb") as stored:
        content = stored.read()
    if hashlib.sha256(content).hexdigest() != packet.sha256:
        raise ChartdeskError("The stored packet does not match its checksum; the sender has been told.")
    return packet, content
