"""Every read of billing records that carry patient data: permission, chart restriction, audit.

A claim, an encounter's charges, a patient account or a denial belongs to a patient; each is found
only if the user holds the named permission and may open that patient's chart (restricted charts
answer NotFound, exactly like a missing id), and each view is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from chartdesk.audit.actions import PendingEvent, record_event, record_events
from chartdesk.audit.models import AuditAction
from chartdesk.billing.models import Charge, Claim, ClaimStatus, Coverage, Denial, HeldPayment, StatementBatch, X12Batch
from chartdesk.billing.x12.segments import X12Malformed, split
from chartdesk.charts.models import Encounter
from chartdesk.core.errors import NotFound
from chartdesk.core.forms import record_id
from chartdesk.patients.access import access_patient_by_id, charts_open_to
from chartdesk.patients.models import Patient

WORK = "billing.work_claims"


def _open(user: Any, patient_id: int, permission: str, what: str) -> Patient:
    if not user.is_authenticated or not user.has_perm(permission):
        raise NotFound(what)
    try:
        return access_patient_by_id(user, patient_id, permission=permission, audit=False)
    except NotFound:
        raise NotFound(what) from None


def claims_open_to(user: Any, *, status: str = "") -> QuerySet[Claim]:
    """The claims list: every claim of a chart `user` may open (filtered in the database, so the count
    and the pages never include a restricted chart's claims), optionally of one status, unordered."""
    if not user.is_authenticated or not user.has_perm(WORK):
        return Claim.objects.none()
    claims = (Claim.objects.filter(patient__in=Patient.objects.filter(charts_open_to(user)))
              .select_related("patient", "payer"))
    return claims.filter(status=status) if status in ClaimStatus.values else claims


def access_claim_by_id(user: Any, claim_id: Any) -> Claim:
    """The claim, if `user` may work claims and open its patient's chart; the view is audited."""
    key = record_id(claim_id, "claim")
    claim = Claim.objects.select_related("patient", "payer", "coverage", "encounter").filter(pk=key).first()
    if claim is None:
        raise NotFound("claim")
    patient = _open(user, claim.patient_id, WORK, "claim")
    record_event(AuditAction.VIEW, user=user, patient=patient, object_type="claim", object_id=claim.pk)
    return claim


def access_encounter_charges_by_id(user: Any, encounter_id: Any) -> Encounter:
    """The encounter whose charges `user` works with; the view is audited."""
    key = record_id(encounter_id, "encounter")
    encounter = Encounter.objects.select_related("patient").filter(pk=key).first()
    if encounter is None:
        raise NotFound("encounter")
    patient = _open(user, encounter.patient_id, WORK, "encounter")
    record_event(AuditAction.VIEW, user=user, patient=patient, object_type="charges", object_id=encounter.pk)
    return encounter


def access_charge_by_id(user: Any, charge_id: Any) -> Charge:
    """A charge line `user` corrects; the view is audited."""
    key = record_id(charge_id, "charge")
    charge = Charge.objects.select_related("encounter", "patient", "rendering_provider").filter(pk=key).first()
    if charge is None:
        raise NotFound("charge")
    patient = _open(user, charge.patient_id, WORK, "charge")
    record_event(AuditAction.VIEW, user=user, patient=patient, object_type="charge", object_id=charge.pk)
    return charge


def access_coverage_by_id(user: Any, coverage_id: Any) -> Coverage:
    """A patient's coverage `user` corrects from the card; the view is audited."""
    key = record_id(coverage_id, "coverage")
    coverage = Coverage.objects.select_related("patient", "payer").filter(pk=key).first()
    if coverage is None:
        raise NotFound("coverage")
    patient = _open(user, coverage.patient_id, WORK, "coverage")
    record_event(AuditAction.VIEW, user=user, patient=patient, object_type="coverage", object_id=coverage.pk)
    return coverage


def access_patient_account_by_id(user: Any, patient_id: Any) -> Patient:
    """The patient whose account (coverage, ledger, claims) `user` opens; the view is audited."""
    patient = _open(user, record_id(patient_id, "patient"), WORK, "patient")
    record_event(AuditAction.VIEW, user=user, patient=patient, object_type="patient_account", object_id=patient.pk)
    return patient


def access_denial_by_id(user: Any, denial_id: Any) -> Denial:
    """A denial in the work queue, under its claim's rules; the view is audited."""
    key = record_id(denial_id, "denial")
    denial = Denial.objects.select_related("claim", "claim__patient").filter(pk=key).first()
    if denial is None:
        raise NotFound("denial")
    patient = _open(user, denial.claim.patient_id, WORK, "denial")
    record_event(AuditAction.VIEW, user=user, patient=patient, object_type="denial", object_id=denial.pk)
    return denial


def access_held_payment_by_id(user: Any, held_payment_id: Any) -> HeldPayment:
    """A payment held back from 835 posting, under its claim's rules; the view is audited."""
    key = record_id(held_payment_id, "held payment")
    held = (HeldPayment.objects.select_related("claim", "claim__patient", "claim__payer", "remittance")
            .filter(pk=key).first())
    if held is None:
        raise NotFound("held payment")
    patient = _open(user, held.claim.patient_id, WORK, "held payment")
    record_event(AuditAction.VIEW, user=user, patient=patient, object_type="held_payment", object_id=held.pk)
    return held


def access_x12_batch_by_id(user: Any, batch_id: Any) -> X12Batch:
    """An 837P batch, if `user` may work claims and open the chart of every claim in it (a batch is
    many patients' data at once); the download goes into each of those patients' audit trails."""
    key = record_id(batch_id, "batch")
    batch = X12Batch.objects.filter(pk=key).first()
    if batch is None:
        raise NotFound("batch")
    # The file itself says which claims it carries: a claim sent again later points at its newest
    # batch, but the older file still holds its data.
    numbers = set(_claim_numbers(batch.content))
    patient_ids = set(Claim.objects.filter(claim_number__in=numbers).values_list("patient_id", flat=True))
    patient_ids |= set(batch.claims.values_list("patient_id", flat=True))
    patients = _open_all(user, patient_ids, "batch")
    _audit_each(user, patients, AuditAction.DOWNLOAD, "x12_batch", batch.pk,
                {"isa": batch.interchange_control, "claims": batch.claim_count})
    return batch


def access_statement_batch_by_id(user: Any, batch_id: Any) -> StatementBatch:
    """A batch of patient statements, if `user` may work claims and open every chart in it; the view
    goes into each of those patients' audit trails."""
    key = record_id(batch_id, "statement batch")
    batch = StatementBatch.objects.filter(pk=key).first()
    if batch is None:
        raise NotFound("statement batch")
    patients = _open_all(user, set(batch.statements.values_list("patient_id", flat=True)), "statement batch")
    _audit_each(user, patients, AuditAction.VIEW, "statement_batch", batch.pk, {"statements": batch.statement_count})
    return batch


def _claim_numbers(content: str) -> list[str]:
    try:
        _, segments = split(content)
    except X12Malformed:
        return []
    return [segment.get(1) for segment in segments if segment.id == "CLM"]


def _open_all(user: Any, patient_ids: set[int], what: str) -> list[Patient]:
    """Every one of these charts, or NotFound: one chart the user may not open closes the whole record."""
    from chartdesk.patients.access import restriction_allows

    if not user.is_authenticated or not user.has_perm(WORK):
        raise NotFound(what)
    patients = list(Patient.objects.filter(pk__in=patient_ids).order_by("pk"))
    if not all(restriction_allows(user, patient) for patient in patients):
        raise NotFound(what)
    return patients


def _audit_each(user: Any, patients: list[Patient], action: AuditAction, object_type: str, object_id: int,
                detail: dict[str, Any]) -> None:
    if not patients:
        record_event(action, user=user, object_type=object_type, object_id=object_id, detail=detail)
        return
    record_events([PendingEvent(action, user=user, patient=patient, object_type=object_type, object_id=object_id,
                                detail=detail) for patient in patients])


def may_open(user: Any, patient: Patient) -> bool:
    """For lists: leave out the rows of charts this user may not open (the rows are not audited views)."""
    from chartdesk.patients.access import restriction_allows

    return restriction_allows(user, patient)
