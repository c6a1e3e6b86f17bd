"""From institutional claims in the database to an 837I batch: the claim's snapshot and the batch format."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from chartdesk.billing.cob import primary_adjudication
from chartdesk.billing.corrections import next_submission
from chartdesk.billing.export import (
    ClaimFormat,
    _other_payer,
    _patient_party,
    _payer,
    _provider,
    _subscriber,
    write_batch,
    x12_text,
)
from chartdesk.billing.institutional.sendable import institutional_problems
from chartdesk.billing.models import Claim, ClaimKind, CoverageRank, InstitutionalClaim, X12Batch
from chartdesk.billing.x12.writer837i import (
    Diagnosis,
    InstitutionalClaimData,
    InstitutionalLine,
    PriorInstitutionalLinePayment,
    Procedure,
    build_837i,
)

ACCOMMODATION = ("01", "02")  # revenue codes 01xx-02xx are billed in days


def unit_basis(revenue_code: str) -> str:
    return "DA" if revenue_code[:2] in ACCOMMODATION else "UN"


def _lines(claim: Claim) -> tuple[InstitutionalLine, ...]:
    adjudication = primary_adjudication(claim) if claim.primary_claim_id else None
    priors: dict[int, PriorInstitutionalLinePayment] = {}
    if adjudication is not None and adjudication.line_level:
        priors = {row.line.pk: PriorInstitutionalLinePayment(
            paid=row.service.paid_amount, units=row.service.units, adjustments=row.adjustments,
            adjudication_date=adjudication.adjudication_date) for row in adjudication.lines if row.service is not None}
    rows = claim.lines.filter(superseded=False).order_by("line_number")
    return tuple(
        InstitutionalLine(revenue_code=line.revenue_code, hcpcs=line.code, modifiers=tuple(line.modifiers),
                          amount=line.amount, units=line.units, unit_basis=unit_basis(line.revenue_code),
                          service_date=line.service_date, prior_payment=priors.get(line.pk))
        for line in rows
    )


def institutional_claim_data(claim: Claim) -> InstitutionalClaimData:
    """A snapshot of an institutional claim as the 837I writer (and the UB-04) needs it."""
    detail: InstitutionalClaim = claim.institutional
    poa = list(detail.poa) + [""] * (len(claim.diagnoses) - len(detail.poa))
    diagnoses = [Diagnosis(code, flag) for code, flag in zip(claim.diagnoses, poa, strict=False)]
    adjudication = primary_adjudication(claim) if claim.primary_claim_id else None
    coverage = claim.coverage
    frequency, payer_claim_number = next_submission(claim)
    if frequency == "1":  # never reopened: the bill type as the stay was billed
        frequency, payer_claim_number = detail.frequency, detail.payer_claim_number
    discharged = timezone.localtime(detail.discharge_at) if detail.discharge_at else None
    return InstitutionalClaimData(
        claim_number=claim.claim_number, total=claim.total_charge, facility_type=detail.facility_type,
        frequency=frequency, responsibility="P" if claim.rank == CoverageRank.PRIMARY else "S",
        relationship=coverage.relationship, group_number=x12_text(coverage.group_number),
        filing_indicator=claim.payer.claim_filing_indicator, subscriber=_subscriber(coverage),
        patient=_patient_party(claim), payer=_payer(claim.payer), statement_from=detail.statement_from,
        statement_to=detail.statement_to, patient_status=detail.patient_status,
        principal_diagnosis=diagnoses[0] if diagnoses else Diagnosis(""),
        other_diagnoses=tuple(diagnoses[1:]), lines=_lines(claim),
        admission=timezone.localtime(detail.admission_at) if detail.admission_at else None,
        admission_type=detail.admission_type, admission_source=detail.admission_source,
        discharge_hour=discharged.time() if discharged and detail.facility_type == "11" else None,
        admitting_diagnosis=detail.admitting_diagnosis, reasons_for_visit=tuple(detail.reasons_for_visit),
        drg=detail.drg,
        procedures=tuple(Procedure(code, date.fromisoformat(day)) for code, day in detail.procedures),
        occurrences=tuple((code, date.fromisoformat(day)) for code, day in detail.occurrence_codes),
        occurrence_spans=tuple((code, date.fromisoformat(start), date.fromisoformat(end))
                               for code, start, end in detail.occurrence_spans),
        values=tuple((code, Decimal(str(value))) for code, value in detail.value_codes),
        conditions=tuple(detail.condition_codes), attending=_provider(detail.attending),
        operating=_provider(detail.operating), payer_claim_number=x12_text(payer_claim_number),
        other_payer=_other_payer(claim, adjudication),
    )


INSTITUTIONAL = ClaimFormat[InstitutionalClaimData](
    kind=ClaimKind.INSTITUTIONAL, name="837I", snapshot=institutional_claim_data,
    problems=lambda snapshot, today: institutional_problems(snapshot, today=today), build=build_837i,
)


def do_export_837i(*, acting_user: Any, claims: list[Claim] | None = None) -> X12Batch:
    """Write every ready institutional claim (or the given ready ones) into one 837I interchange."""
    return write_batch(INSTITUTIONAL, acting_user=acting_user, claims=claims)
