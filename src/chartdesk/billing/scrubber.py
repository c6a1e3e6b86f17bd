"""The claim scrubber: every reason a claim would bounce, found before it leaves the building.

Each rule returns findings with a readable message; a claim with any finding stays "scrubbed" for a
person to fix, a clean one becomes "ready". The coding validator's edits (code exists and is
billable on the date of service, 7th characters, Excludes1 pairs, manifestations, sex and age
conflicts) come in through `coding_validator_findings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from chartdesk.billing import codes
from chartdesk.billing.export import claim_data, organisation_data, x12_lost
from chartdesk.billing.models import BillingOrganisation, Claim, ClaimKind, ClaimLine, ClaimStatus, Coverage
from chartdesk.billing.x12.sendable import claim_problems, organisation_problems
from chartdesk.core.dates import age_on
from chartdesk.core.npi import npi_is_valid

MAX_DIAGNOSES = 12
MAX_LINES = 50
MAX_MODIFIERS = 4
MAX_POINTERS = 4
INACTIVE_CLAIM_STATUSES = {ClaimStatus.DENIED, ClaimStatus.CLOSED, ClaimStatus.REJECTED}


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    line_number: int | None = None


def timely_filing_findings(claim: Claim, today: date) -> list[Finding]:
    """The claim is past its payer's filing limit (timely_filing.py: the limit in effect on the service date)."""
    from chartdesk.billing.timely_filing import deadline_of, finding_text  # it reads the export's corrections

    found = deadline_of(claim)
    text = finding_text(found, today) if found is not None else None
    return [Finding("timely_filing", text)] if text else []


@dataclass(frozen=True)
class ClaimCodes:
    """The codes of one claim as the coding validator wants them."""

    diagnoses: tuple[str, ...]
    procedures: tuple[tuple[str, tuple[str, ...], Decimal], ...]  # (code, modifiers, units) per line


def coding_validator_findings(claim_codes: ClaimCodes, sex: str, age: int, service_date: date) -> list[Finding]:
    """The coding validator's errors on the claim's diagnoses, and code-set membership of its lines.

    Diagnoses go through the one coding validator (chartdesk.coding.edits): each must exist and be
    billable in the ICD-10-CM release in effect on the date of service, with its 7th character, no
    Excludes1 pair, no manifestation first-listed, no sex or age conflict. A professional claim has
    no present-on-admission indicators, so it is validated as outpatient. Its warnings and reminders
    are for the coder; the scrubber takes its errors. CPT and HCPCS lines must exist in the release
    of their code set in effect on the date of service, where one is loaded (CPT is licensed and may
    not be). An installation with no ICD-10-CM release loaded at all gets the syntax checks only.
    """
    from chartdesk.coding.edits.validator import CodedDiagnosis, EncounterCodes, Severity, validate
    from chartdesk.coding.models import Code, CodeSetRelease, CodeSystem

    findings: list[Finding] = []
    for code in claim_codes.diagnoses:
        if not codes.is_icd10cm(code):
            findings.append(Finding("code_invalid", f"{code} is not a valid ICD-10-CM code."))
    if not findings and claim_codes.diagnoses and CodeSetRelease.objects.filter(system=CodeSystem.ICD10CM).exists():
        report = validate(EncounterCodes(
            diagnoses=tuple(CodedDiagnosis(code) for code in claim_codes.diagnoses), service_date=service_date,
            inpatient=False, sex=sex if sex in ("F", "M") else "", age=age,
        ))
        findings += [Finding(f"coding_{finding.edit}", finding.message)
                     for finding in report.findings if finding.severity == Severity.ERROR]
    for number, (code, _modifiers, _units) in enumerate(claim_codes.procedures, start=1):
        system = codes.procedure_system(code)
        if system is None:
            findings.append(Finding("code_invalid", f"{code} is not a valid CPT or HCPCS code.", number))
            continue
        release = CodeSetRelease.objects.in_effect(system.lower(), service_date)
        if release is not None and not Code.objects.filter(release=release, code=code.strip().upper(),
                                                           billable=True).exists():
            findings.append(Finding("code_not_in_code_set",
                                    f"{code} is not a {system} code in {release.label}.", number))
    return findings


def _organisation_findings(organisation: BillingOrganisation | None) -> list[Finding]:
    if organisation is None:
        return [Finding("missing_billing_provider", "Set up the billing organisation (name, NPI, tax ID, address).")]
    found = []
    if not npi_is_valid(organisation.npi):
        found.append(Finding("missing_billing_npi", "The billing provider's NPI is missing or fails its check digit."))
    if not (organisation.tax_id.isdecimal() and len(organisation.tax_id) == 9):
        found.append(Finding("missing_tax_id", "The billing provider's tax ID must be nine digits."))
    if not (organisation.zip_code.isdecimal() and len(organisation.zip_code) == 9):
        found.append(Finding("billing_zip", "The billing provider's ZIP code must have nine digits (ZIP+4)."))
    return found


def _subscriber_findings(coverage: Coverage) -> list[Finding]:
    found = []
    if not coverage.member_id.strip():
        found.append(Finding("missing_subscriber", "The coverage has no member ID."))
    if not coverage.payer.payer_id.strip():
        found.append(Finding("missing_payer_id", f"The payer {coverage.payer.name} has no payer ID."))
    if not coverage.patient_is_subscriber:
        missing = [
            label
            for label, value in (
                ("given name", coverage.subscriber_given_name),
                ("family name", coverage.subscriber_family_name),
                ("date of birth", coverage.subscriber_birth_date),
                ("sex", coverage.subscriber_sex),
            )
            if not value
        ]
        if missing:
            found.append(Finding("missing_subscriber", "The subscriber's " + ", ".join(missing) + " is missing."))
    return found


def _line_findings(line: ClaimLine, diagnosis_count: int) -> list[Finding]:
    found = []
    number = line.line_number
    pointers = list(line.diagnosis_pointers)
    if not pointers:
        found.append(Finding("pointer_missing", "The line points to no diagnosis.", number))
    if len(pointers) > MAX_POINTERS:
        found.append(Finding("pointer_too_many", "A line may point to at most 4 diagnoses.", number))
    bad = [p for p in pointers if not isinstance(p, int) or not 1 <= p <= min(diagnosis_count, MAX_DIAGNOSES)]
    if bad:
        found.append(Finding("pointer_out_of_range", f"Pointer {bad[0]} names no diagnosis of the claim.", number))
    if len(set(pointers)) != len(pointers):
        found.append(Finding("pointer_repeated", "The line points to the same diagnosis twice.", number))
    modifiers = list(line.modifiers)
    if len(modifiers) > MAX_MODIFIERS:
        found.append(Finding("modifier_invalid", "A line may carry at most 4 modifiers.", number))
    for modifier in modifiers:
        if not codes.is_modifier(str(modifier)):
            found.append(Finding("modifier_invalid", f"Modifier {modifier!r} is not two letters or digits.", number))
    if line.amount <= 0:
        found.append(Finding("zero_charge", f"{line.code} has no charge.", number))
    if line.units <= 0:
        found.append(Finding("zero_units", f"{line.code} has no units.", number))
    provider = line.rendering_provider
    if provider is None or not npi_is_valid(provider.npi):
        found.append(Finding("missing_rendering_npi", "The rendering provider's NPI is missing or invalid.", number))
    return found


def _duplicate_findings(claim: Claim, lines: list[ClaimLine]) -> list[Finding]:
    services = {(line.service_date, line.code) for line in lines}
    others = (
        ClaimLine.objects.filter(claim__patient_id=claim.patient_id, claim__rank=claim.rank, superseded=False)
        .exclude(claim=claim)
        .exclude(claim__status__in=INACTIVE_CLAIM_STATUSES)
        .values_list("service_date", "code", "claim__claim_number")
    )
    found = []
    for service_date, code, number in others:
        if (service_date, code) in services:
            found.append(Finding(
                "duplicate_claim", f"Claim {number} already bills {code} on {service_date:%Y-%m-%d} for this patient."
            ))
    return found


def lost_letter_findings(claim: Claim, form: str) -> list[Finding]:
    """Names that would lose letters on their way into the X12 character set."""
    findings: list[Finding] = []
    coverage = claim.coverage
    names = [("patient", "given name", claim.patient.given_name, "the patient's chart"),
             ("patient", "family name", claim.patient.family_name, "the patient's chart")]
    if not coverage.patient_is_subscriber:
        names += [("subscriber", "given name", coverage.subscriber_given_name, "the patient's coverage"),
                  ("subscriber", "family name", coverage.subscriber_family_name, "the patient's coverage")]
    for who, part, value, where in names:
        lost = x12_lost(value)
        if lost:
            findings.append(Finding("x12_name", f"The {who}'s {part} {value!r} has letters an {form} cannot carry "
                                                f"({lost}): record it in Latin letters, as on the insurance "
                                                f"card, on {where}."))
    return findings


def _sendable_findings(claim: Claim, today: date) -> list[Finding]:
    """Values the 837P cannot carry (x12/sendable.py, on the very snapshot the writer would write),
    and names that would lose letters on their way into the X12 character set."""
    organisation = BillingOrganisation.objects.order_by("id").first()
    problems = organisation_problems(organisation_data(organisation)) if organisation is not None else []
    problems += claim_problems(claim_data(claim), today=today)
    return [Finding(p.rule, p.message, p.line_number) for p in problems] + lost_letter_findings(claim, "837P")


def scrub(claim: Claim, *, today: date) -> list[Finding]:
    """Every finding for `claim` as it stands today."""
    if claim.kind == ClaimKind.INSTITUTIONAL:
        # Imported here: the institutional scrubber builds on this module's checks.
        from chartdesk.billing.institutional.scrub import institutional_findings

        return institutional_findings(claim, today=today)
    lines = list(claim.lines.filter(superseded=False).select_related("rendering_provider").order_by("line_number"))
    coverage = claim.coverage
    patient = claim.patient
    findings = _organisation_findings(BillingOrganisation.objects.order_by("id").first())
    findings += _subscriber_findings(coverage)
    if not claim.diagnoses:
        findings.append(Finding("no_diagnosis", "The claim has no diagnosis."))
    if len(claim.diagnoses) > MAX_DIAGNOSES:
        findings.append(Finding("too_many_diagnoses", f"A claim carries at most 12 diagnoses; this one has "
                                                      f"{len(claim.diagnoses)}: split it."))
    if not lines:
        findings.append(Finding("no_lines", "The claim has no service lines."))
    if len(lines) > MAX_LINES:
        findings.append(Finding("too_many_lines", f"An 837P claim carries at most 50 lines; this one has "
                                                  f"{len(lines)}: split it."))
    for line in lines:
        findings += _line_findings(line, len(claim.diagnoses))
    findings += _duplicate_findings(claim, lines)
    if lines:
        first_service = min(line.service_date for line in lines)
        findings += timely_filing_findings(claim, today)
        claim_codes = ClaimCodes(
            diagnoses=tuple(claim.diagnoses),
            procedures=tuple((line.code, tuple(line.modifiers), line.units) for line in lines),
        )
        if patient.birth_date is None:
            findings.append(Finding("patient_birth_date_missing", "The patient's date of birth is not on file "
                                    "(incomplete record): a claim needs it. Complete the patient's demographics."))
        else:
            findings += coding_validator_findings(claim_codes, patient.sex,
                                                  age_on(patient.birth_date, first_service), first_service)
    findings += _sendable_findings(claim, today)
    return findings
