"""Every read of release-of-information records: permission, the chart's restriction, audit.

Forbidden and missing both answer NotFound. The patient check is patients.access's own, so a
restricted chart offers break-the-glass to those allowed it and is simply absent for everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.db.models import Model
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import NotFound
from chartdesk.core.forms import record_id
from chartdesk.disclosures import accounting
from chartdesk.disclosures.deadlines import Clock, clock
from chartdesk.disclosures.models import (
    OPEN_REQUEST_STATUSES,
    AccountingRequest,
    AmendmentRequest,
    AmendmentStatus,
    Authorization,
    Disclosure,
    PrivacyRestriction,
    ReleasePacket,
    ReleaseRequest,
)
from chartdesk.patients.access import access_patient_by_id, restriction_allows
from chartdesk.patients.models import Patient

WORK = "disclosures.work_requests"
AMEND = "disclosures.manage_amendments"
RESTRICT = "disclosures.manage_restrictions"
ACCOUNT = "disclosures.manage_accounting"

RecordT = TypeVar("RecordT", bound=Model)


def _open(user: Any, model: type[RecordT], key: Any, *, permission: str, what: str, object_type: str,
          patient_path: str = "patient_id", related: tuple[str, ...] = ()) -> RecordT:
    pk = record_id(key, what)
    if not user.is_authenticated or not user.has_perm(permission):
        raise NotFound(what)
    record = model.objects.select_related(*related).filter(pk=pk).first()  # type: ignore[attr-defined]
    if record is None:
        raise NotFound(what)
    patient_id = record
    for step in patient_path.split("."):
        patient_id = getattr(patient_id, step)
    patient = access_patient_by_id(user, patient_id, permission=permission, audit=False)
    record_event(AuditAction.VIEW, user=user, patient=patient, object_type=object_type, object_id=record.pk)
    return record


def access_request_by_id(user: Any, request_id: Any) -> ReleaseRequest:
    """A release request, for users who work requests and may open the patient's chart; audited."""
    return _open(user, ReleaseRequest, request_id, permission=WORK, what="request", object_type="release_request",
                 related=("patient", "authorization", "created_by"))


def access_authorization_by_id(user: Any, authorization_id: Any) -> Authorization:
    return _open(user, Authorization, authorization_id, permission=WORK, what="authorization",
                 object_type="authorization", related=("patient",))


def access_packet_by_id(user: Any, packet_id: Any) -> ReleasePacket:
    return _open(user, ReleasePacket, packet_id, permission=WORK, what="packet", object_type="release_packet",
                 patient_path="request.patient_id", related=("request", "request__patient"))


def access_amendment_by_id(user: Any, amendment_id: Any) -> AmendmentRequest:
    """An amendment request, for the privacy officer or the provider who wrote the document (164.526
    review); anyone else, or a chart the user may not open, gets "not found". Audited."""
    if user.is_authenticated and not user.has_perm(AMEND):
        pk = record_id(amendment_id, "amendment request")
        amendment = AmendmentRequest.objects.select_related("document").filter(pk=pk).first()
        if amendment is None or not is_authors_amendment(user, amendment):
            raise NotFound("amendment request")
        return _open(user, AmendmentRequest, amendment_id, permission="charts.view_documents",
                     what="amendment request", object_type="amendment_request",
                     related=("patient", "document", "addendum"))
    return _open(user, AmendmentRequest, amendment_id, permission=AMEND, what="amendment request",
                 object_type="amendment_request", related=("patient", "document", "addendum"))


def is_authors_amendment(user: Any, amendment: AmendmentRequest) -> bool:
    from chartdesk.charts.actions import provider_of

    provider = provider_of(user)
    return provider is not None and amendment.document.author_id == provider.pk


def amendments_awaiting_author(user: Any) -> list[AmendmentRequest]:
    """Open amendment requests on documents this provider wrote, oldest due first (their home page)."""
    from chartdesk.charts.actions import provider_of

    provider = provider_of(user)
    if provider is None:
        return []
    pending = (AmendmentRequest.objects.select_related("patient", "document")
               .filter(document__author=provider, status__in=("received", "under_review")).order_by("due_on"))
    return [amendment for amendment in pending if restriction_allows(user, amendment.patient)]


def access_restriction_by_id(user: Any, restriction_id: Any) -> PrivacyRestriction:
    return _open(user, PrivacyRestriction, restriction_id, permission=RESTRICT, what="restriction",
                 object_type="privacy_restriction", related=("patient", "encounter"))


def access_accounting_request_by_id(user: Any, accounting_id: Any) -> AccountingRequest:
    return _open(user, AccountingRequest, accounting_id, permission=ACCOUNT, what="accounting request",
                 object_type="accounting_request", related=("patient",))


def access_patient_for_disclosures(user: Any, patient_id: Any, permission: str) -> Patient:
    """The patient whose privacy records a page shows; the view of the chart is audited."""
    if not user.is_authenticated or not user.has_perm(permission):
        raise NotFound("patient")
    return access_patient_by_id(user, patient_id, permission=permission)


def accounting_preview(user: Any, patient: Patient, as_of: date | None = None) -> list[Disclosure]:
    """What the patient's accounting would list today, for the privacy officer; audited."""
    if not user.is_authenticated or not user.has_perm(ACCOUNT):
        raise NotFound("patient")
    access_patient_by_id(user, patient.pk, permission=ACCOUNT, audit=False)
    record_event(AuditAction.VIEW, user=user, patient=patient, object_type="accounting", object_id=patient.pk)
    return accounting.accounting_entries(patient, as_of or timezone.localdate())


@dataclass(frozen=True)
class QueueRow:
    request: ReleaseRequest
    clock: Clock | None


def roi_queue(user: Any, *, today: date | None = None, status: str = "") -> list[QueueRow]:
    """Open requests, soonest due first, each with its clock. Restricted charts the user may not open
    are left out; the list is not audited per patient (it shows what the patient search shows)."""
    if not user.is_authenticated or not user.has_perm(WORK):
        raise NotFound("queue")
    today = today or timezone.localdate()
    requests = ReleaseRequest.objects.select_related("patient").order_by("due_on", "id")
    requests = requests.filter(status=status) if status else requests.filter(status__in=OPEN_REQUEST_STATUSES)
    rows = []
    for request in requests[:500]:
        if request.patient.is_restricted and not restriction_allows(user, request.patient):
            continue
        rows.append(QueueRow(request, clock(request.due_on, today) if request.due_on else None))
    return rows


def open_amendments(user: Any, *, today: date | None = None) -> list[tuple[AmendmentRequest, Clock]]:
    if not user.is_authenticated or not user.has_perm(AMEND):
        raise NotFound("queue")
    today = today or timezone.localdate()
    amendments = AmendmentRequest.objects.select_related("patient", "document").filter(
        status__in=(AmendmentStatus.RECEIVED, AmendmentStatus.UNDER_REVIEW)
    )
    return [(amendment, clock(amendment.due_on, today)) for amendment in amendments
            if not amendment.patient.is_restricted or restriction_allows(user, amendment.patient)]
