"""The scrubber's checks of an institutional claim: the set-up and subscriber checks it shares with the
professional claim, timely filing from the statement period, the coding edits on its diagnoses and
HCPCS lines, and every value the 837I could not carry (institutional/sendable.py)."""

from __future__ import annotations

from datetime import date

from chartdesk.billing.export import organisation_data
from chartdesk.billing.institutional.export import institutional_claim_data
from chartdesk.billing.institutional.sendable import institutional_problems
from chartdesk.billing.models import BillingOrganisation, Claim
from chartdesk.billing.scrubber import (
    ClaimCodes,
    Finding,
    _organisation_findings,
    _subscriber_findings,
    coding_validator_findings,
    lost_letter_findings,
    timely_filing_findings,
)
from chartdesk.billing.x12.sendable import organisation_problems
from chartdesk.core.dates import age_on


def institutional_findings(claim: Claim, *, today: date) -> list[Finding]:
    organisation = BillingOrganisation.objects.order_by("id").first()
    findings = _organisation_findings(organisation)
    findings += _subscriber_findings(claim.coverage)
    snapshot = institutional_claim_data(claim)
    problems = organisation_problems(organisation_data(organisation)) if organisation is not None else []
    problems += institutional_problems(snapshot, today=today)
    findings += [Finding(p.rule, p.message, p.line_number) for p in problems]
    findings += lost_letter_findings(claim, "837I")
    findings += timely_filing_findings(claim, today)
    start = snapshot.statement_from
    patient = claim.patient
    if patient.birth_date is None:
        findings.append(Finding("patient_birth_date_missing", "The patient's date of birth is not on file "
                                "(incomplete record): a claim needs it. Complete the patient's demographics."))
    elif claim.diagnoses:
        codes = ClaimCodes(diagnoses=tuple(claim.diagnoses),
                           procedures=tuple((line.hcpcs, line.modifiers, line.units) for line in snapshot.lines
                                            if line.hcpcs))
        findings += coding_validator_findings(codes, patient.sex, age_on(patient.birth_date, start), start)
    return findings
