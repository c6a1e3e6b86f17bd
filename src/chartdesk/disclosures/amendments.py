"""Amendments (45 CFR 164.526) and restrictions (164.522): the privacy officer's writes.

An accepted amendment is appended to the record as an addendum through charts.actions (the record
itself never changes) and the parties the patient named are notified, each notification recorded.
A denial names one of the four grounds the rule allows; the patient's statement of disagreement and
the rebuttal are kept with the request and travel with the document in every later release.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from chartdesk.audit.models import AuditAction
from chartdesk.charts.actions import do_add_addendum, provider_of
from chartdesk.charts.models import Document, DocumentStatus, Encounter
from chartdesk.core import clock
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.locking import lock_row
from chartdesk.core.permissions import require_permission
from chartdesk.disclosures import deadlines
from chartdesk.disclosures.actions import audit, require_chart
from chartdesk.disclosures.models import (
    AmendmentNotification,
    AmendmentRequest,
    AmendmentStatus,
    DenialBasis,
    PrivacyRestriction,
    RestrictionKind,
    RestrictionStatus,
)
from chartdesk.patients.models import Patient

AMEND = "disclosures.manage_amendments"
RESTRICT = "disclosures.manage_restrictions"

REQUIRED = "Give the {what}."
WRONG_STATUS = "This amendment request is {status}; {action} is not possible now."
DOCUMENT_NOT_SIGNED = "Only a signed document can be amended; this one is {status}."
DENIAL_BASIS = "Choose the ground for the denial: 164.526(a)(2) allows only the four listed."
ONLY_DENIED = "A statement of disagreement answers a denial; this request was not denied."
NO_DISAGREEMENT = "A rebuttal answers the patient's statement of disagreement, and none has been filed."
KIND_UNKNOWN = "Choose the kind of restriction from the list."
SELF_PAY_NEEDS_ENCOUNTER = "Name the encounter the patient paid for in full."
ENCOUNTER_OTHER_PATIENT = "That encounter belongs to another patient."
CONTACT_REQUIRED = "Give the address or phone number communications should go to."
SELF_PAY_MUST_AGREE = ("A provider must agree to a restriction on disclosure to a health plan when the patient paid "
                       "in full out of pocket (164.522(a)(1)(vi)); it cannot be refused.")
SELF_PAY_NOT_PAID = "Confirm the service was paid in full before agreeing to the restriction."
DECISION_UNKNOWN = "Choose agree or refuse."
ALREADY_DECIDED = "This restriction request was already decided ({status})."


def _locked(amendment: AmendmentRequest) -> AmendmentRequest:
    return lock_row(amendment, "patient", "document")


def _require_reviewer(user: Any, amendment: AmendmentRequest) -> None:
    """The privacy officer, or the provider who wrote the document, reviews an amendment request."""
    author = amendment.document.author
    provider = provider_of(user)
    if author is not None and provider is not None and provider.pk == author.pk:
        return
    require_permission(user, AMEND, "decide amendment requests")


def _expect(amendment: AmendmentRequest, statuses: tuple[str, ...], action: str) -> None:
    if amendment.status not in statuses:
        raise ChartdeskError(WRONG_STATUS.format(status=amendment.get_status_display().lower(), action=action))


def do_request_amendment(document: Document, *, requested_change: str, acting_user: Any, patient_reason: str = "",
                         received_on: date | None = None) -> AmendmentRequest:
    """Log the patient's written request to amend a document; it is due in 60 days."""
    require_permission(acting_user, AMEND, "log amendment requests")
    require_chart(acting_user, document.patient)
    requested_change = (requested_change or "").strip()
    if not requested_change:
        raise ChartdeskError(REQUIRED.format(what="change the patient asks for"), field="requested_change")
    received_on = received_on or clock.localdate()
    with transaction.atomic():
        amendment = AmendmentRequest.objects.create(
            patient=document.patient, document=document, requested_change=requested_change,
            patient_reason=(patient_reason or "").strip(), received_on=received_on,
            due_on=deadlines.due_date(deadlines.AMENDMENT, received_on), created_by=acting_user,
        )
        audit(AuditAction.CREATE, acting_user, document.patient, "amendment_request", amendment.pk,
              document_id=document.pk, due_on=f"{amendment.due_on:%Y-%m-%d}")
    return amendment


def do_start_amendment_review(amendment: AmendmentRequest, *, acting_user: Any) -> AmendmentRequest:
    """The privacy officer or the document's author takes the request up for review."""
    _require_reviewer(acting_user, amendment)
    require_chart(acting_user, amendment.patient)
    with transaction.atomic():
        locked = _locked(amendment)
        _expect(locked, (AmendmentStatus.RECEIVED,), "starting the review")
        locked.status = AmendmentStatus.UNDER_REVIEW
        locked.reviewer = acting_user
        locked.save(update_fields=["status", "reviewer"])
        audit(AuditAction.UPDATE, acting_user, locked.patient, "amendment_request", locked.pk, status="under_review")
    return locked


def do_extend_amendment(amendment: AmendmentRequest, *, notice: str, acting_user: Any,
                        today: date | None = None) -> AmendmentRequest:
    require_permission(acting_user, AMEND, "extend amendment requests")
    require_chart(acting_user, amendment.patient)
    today = today or clock.localdate()
    with transaction.atomic():
        locked = _locked(amendment)
        _expect(locked, (AmendmentStatus.RECEIVED, AmendmentStatus.UNDER_REVIEW), "extending it")
        problem = deadlines.extension_problem(deadlines.AMENDMENT, locked.received_on, today,
                                              already_extended=locked.extended_at is not None, notice=notice)
        if problem:
            raise ChartdeskError(problem, field="notice")
        locked.due_on = deadlines.extended_due_date(deadlines.AMENDMENT, locked.received_on)
        locked.extended_at = clock.now()
        locked.extension_notice = notice.strip()
        locked.save(update_fields=["due_on", "extended_at", "extension_notice"])
        audit(AuditAction.UPDATE, acting_user, locked.patient, "amendment_request", locked.pk,
              extended_to=f"{locked.due_on:%Y-%m-%d}")
    return locked


def do_accept_amendment(amendment: AmendmentRequest, *, amendment_text: str, notify: list[tuple[str, str]],
                        acting_user: Any) -> AmendmentRequest:
    """Accept: append the amendment to the document as an addendum (signed when the reviewer is a
    provider), record the decision, and record each named party notified as (party, method)."""
    _require_reviewer(acting_user, amendment)
    require_chart(acting_user, amendment.patient)
    amendment_text = (amendment_text or "").strip()
    if not amendment_text:
        raise ChartdeskError(REQUIRED.format(what="text of the amendment"), field="amendment_text")
    document = amendment.document
    if document.status not in (DocumentStatus.FINAL, DocumentStatus.AMENDED):
        raise ChartdeskError(DOCUMENT_NOT_SIGNED.format(status=document.get_status_display().lower()))
    with transaction.atomic():
        locked = _locked(amendment)
        _expect(locked, (AmendmentStatus.RECEIVED, AmendmentStatus.UNDER_REVIEW), "accepting it")
        addendum = do_add_addendum(
            locked.document, acting_user=acting_user, sign=provider_of(acting_user) is not None,
            text=f"Amendment at the patient's request of {locked.received_on:%Y-%m-%d}: {amendment_text}",
        )
        locked.status = AmendmentStatus.ACCEPTED
        locked.addendum = addendum
        locked.reviewer = locked.reviewer or acting_user
        locked.decided_at = clock.now()
        locked.save(update_fields=["status", "addendum", "reviewer", "decided_at"])
        for party, method in notify:
            if party.strip():
                AmendmentNotification.objects.create(amendment=locked, party=party.strip()[:200],
                                                     method=(method or "letter").strip()[:60], notified_by=acting_user)
        audit(AuditAction.UPDATE, acting_user, locked.patient, "amendment_request", locked.pk, status="accepted",
              addendum_id=addendum.pk, notified=[party for party, _ in notify if party.strip()])
    return locked


def do_deny_amendment(amendment: AmendmentRequest, *, basis: str, explanation: str,
                      acting_user: Any) -> AmendmentRequest:
    """Deny on one of the grounds of 164.526(a)(2), with the explanation the patient's letter gives."""
    _require_reviewer(acting_user, amendment)
    require_chart(acting_user, amendment.patient)
    if basis not in DenialBasis.values:
        raise ChartdeskError(DENIAL_BASIS, field="basis")
    explanation = (explanation or "").strip()
    if not explanation:
        raise ChartdeskError(REQUIRED.format(what="explanation for the patient"), field="explanation")
    with transaction.atomic():
        locked = _locked(amendment)
        _expect(locked, (AmendmentStatus.RECEIVED, AmendmentStatus.UNDER_REVIEW), "denying it")
        locked.status = AmendmentStatus.DENIED
        locked.denial_basis = basis
        locked.denial_explanation = explanation
        locked.reviewer = locked.reviewer or acting_user
        locked.decided_at = clock.now()
        locked.save(update_fields=["status", "denial_basis", "denial_explanation", "reviewer", "decided_at"])
        audit(AuditAction.UPDATE, acting_user, locked.patient, "amendment_request", locked.pk, status="denied",
              basis=basis)
    return locked


def do_file_disagreement(amendment: AmendmentRequest, *, statement: str, acting_user: Any,
                         received_on: date | None = None) -> AmendmentRequest:
    """Keep the patient's statement of disagreement with a denial; it travels with the document."""
    require_permission(acting_user, AMEND, "record statements of disagreement")
    require_chart(acting_user, amendment.patient)
    statement = (statement or "").strip()
    if not statement:
        raise ChartdeskError(REQUIRED.format(what="statement of disagreement"), field="statement")
    with transaction.atomic():
        locked = _locked(amendment)
        if locked.status != AmendmentStatus.DENIED:
            raise ChartdeskError(ONLY_DENIED)
        locked.disagreement = statement
        locked.disagreement_received_on = received_on or clock.localdate()
        locked.save(update_fields=["disagreement", "disagreement_received_on"])
        audit(AuditAction.UPDATE, acting_user, locked.patient, "amendment_request", locked.pk, disagreement=True)
    return locked


def do_file_rebuttal(amendment: AmendmentRequest, *, rebuttal: str, acting_user: Any) -> AmendmentRequest:
    require_permission(acting_user, AMEND, "write rebuttals")
    require_chart(acting_user, amendment.patient)
    rebuttal = (rebuttal or "").strip()
    if not rebuttal:
        raise ChartdeskError(REQUIRED.format(what="rebuttal"), field="rebuttal")
    with transaction.atomic():
        locked = _locked(amendment)
        if not locked.disagreement:
            raise ChartdeskError(NO_DISAGREEMENT)
        locked.rebuttal = rebuttal
        locked.rebuttal_at = clock.now()
        locked.save(update_fields=["rebuttal", "rebuttal_at"])
        audit(AuditAction.UPDATE, acting_user, locked.patient, "amendment_request", locked.pk, rebuttal=True)
    return locked


# ----------------------------------------------------------------------------- restrictions


def do_request_restriction(patient: Patient, *, kind: str, description: str, acting_user: Any,
                           encounter: Encounter | None = None, alternative_contact: str = "",
                           paid_in_full: bool = False, requested_on: date | None = None) -> PrivacyRestriction:
    """Record a request to restrict uses or disclosures, or to receive communications elsewhere."""
    require_permission(acting_user, RESTRICT, "record restriction requests")
    require_chart(acting_user, patient)
    if kind not in RestrictionKind.values:
        raise ChartdeskError(KIND_UNKNOWN, field="kind")
    description = (description or "").strip()
    if not description:
        raise ChartdeskError(REQUIRED.format(what="description of the request"), field="description")
    if kind == RestrictionKind.SELF_PAY and encounter is None:
        raise ChartdeskError(SELF_PAY_NEEDS_ENCOUNTER, field="encounter")
    if encounter is not None and encounter.patient_id != patient.pk:
        raise ChartdeskError(ENCOUNTER_OTHER_PATIENT, field="encounter")
    if kind == RestrictionKind.CONFIDENTIAL_COMMUNICATION and not (alternative_contact or "").strip():
        raise ChartdeskError(CONTACT_REQUIRED, field="alternative_contact")
    with transaction.atomic():
        restriction = PrivacyRestriction.objects.create(
            patient=patient, kind=kind, encounter=encounter, description=description,
            alternative_contact=(alternative_contact or "").strip(), paid_in_full=paid_in_full,
            requested_on=requested_on or clock.localdate(), created_by=acting_user,
        )
        audit(AuditAction.CREATE, acting_user, patient, "privacy_restriction", restriction.pk, kind=kind,
              encounter_id=encounter.pk if encounter else None)
    return restriction


def do_decide_restriction(restriction: PrivacyRestriction, *, agree: bool, acting_user: Any, note: str = "",
                          paid_in_full: bool | None = None) -> PrivacyRestriction:
    """Agree to or refuse a restriction. A self-pay restriction must be agreed once paid in full."""
    require_permission(acting_user, RESTRICT, "decide restriction requests")
    require_chart(acting_user, restriction.patient)
    with transaction.atomic():
        locked = PrivacyRestriction.objects.select_for_update().select_related("patient").get(pk=restriction.pk)
        if locked.status != RestrictionStatus.REQUESTED:
            raise ChartdeskError(ALREADY_DECIDED.format(status=locked.get_status_display().lower()))
        if paid_in_full is not None:
            locked.paid_in_full = paid_in_full
        if locked.kind == RestrictionKind.SELF_PAY:
            if not agree:
                raise ChartdeskError(SELF_PAY_MUST_AGREE)
            if not locked.paid_in_full:
                raise ChartdeskError(SELF_PAY_NOT_PAID, field="paid_in_full")
        locked.status = RestrictionStatus.AGREED if agree else RestrictionStatus.REFUSED
        locked.decision_note = (note or "").strip()[:300]
        locked.decided_at = clock.now()
        locked.decided_by = acting_user
        locked.save(update_fields=["status", "decision_note", "decided_at", "decided_by", "paid_in_full"])
        audit(AuditAction.UPDATE, acting_user, locked.patient, "privacy_restriction", locked.pk, status=locked.status)
    return locked
