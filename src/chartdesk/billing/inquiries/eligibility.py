"""Eligibility: the 270 we write (for the coming days' visits, or one coverage on demand) and the 271 we
read back, each answer stored with the coverage it is about (`EligibilityResult`): active or inactive,
the plan's dates, the office-visit co-payment and co-insurance, the deductible remaining, and any
rejection in plain English.

The visits come from whichever app keeps appointments (the schedule registers its source from its
AppConfig, so billing does not import the front office)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from chartdesk.audit.actions import PendingEvent, record_event, record_events
from chartdesk.audit.models import AuditAction
from chartdesk.billing.export import x12_text
from chartdesk.billing.inquiries.common import digest_of, envelope, organisation, people, read_inbound
from chartdesk.billing.inquiries.models import (
    EligibilityCheck,
    EligibilityResult,
    EligibilityStatus,
    InquiryFile,
    InquiryKind,
)
from chartdesk.billing.models import Coverage
from chartdesk.billing.x12 import eligibility_codes as codes
from chartdesk.billing.x12.parser271 import Benefit, EligibilityAnswer, Rejection, Response271, parse_271
from chartdesk.billing.x12.writer270 import EligibilityRequest, Receiver, build_270
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.permissions import require_permission
from chartdesk.patients.access import restriction_allows
from chartdesk.patients.models import Patient

WORK = "billing.work_claims"
MAX_DAYS = 31
NOTHING_TO_ASK = "No visit in the next {days} days has active coverage to ask about: no 270 was written."
COVERAGE_ENDED = "This coverage has ended: add the patient's current coverage and ask about that."
DAYS_RANGE = f"Ask about 1 to {MAX_DAYS} days ahead."

# (first day, last day) -> [(patient id, visit date)]: the visits a 270 asks about.
VisitSource = Callable[[date, date], list[tuple[int, date]]]
_visit_sources: dict[str, VisitSource] = {}


def register_visit_source(name: str, source: VisitSource) -> None:
    """An app that books visits says which patients come on which days (the schedule, from its AppConfig)."""
    _visit_sources[name] = source


def upcoming_visits(first: date, last: date) -> list[tuple[int, date]]:
    found = {pair for source in _visit_sources.values() for pair in source(first, last)}
    return sorted(found, key=lambda pair: (pair[1], pair[0]))


# ----------------------------------------------------------------------------- the 270


def _request(coverage: Coverage, service_date: date, trace: str) -> EligibilityRequest:
    subscriber, dependent = people(coverage)
    return EligibilityRequest(trace_number=trace, payer_name=x12_text(coverage.payer.name),
                              payer_id=coverage.payer.payer_id, member_id=x12_text(coverage.member_id),
                              group_number=x12_text(coverage.group_number), subscriber=subscriber,
                              dependent=dependent, service_date=service_date)


def _write_270(asked: list[tuple[Coverage, date]], *, acting_user: Any, file_name: str) -> InquiryFile:
    billing = organisation()
    receiver = Receiver(name=x12_text(billing.name), npi=billing.npi, tax_id=billing.tax_id,
                        submitter_id=billing.submitter_id, receiver_id=billing.receiver_id,
                        production=billing.production)
    with transaction.atomic():
        numbers = envelope()
        requests = [_request(coverage, day, f"{numbers.interchange_control:09d}-{n}")
                    for n, (coverage, day) in enumerate(asked, start=1)]
        text = build_270(receiver, requests, numbers)
        stored = InquiryFile.objects.create(
            kind=InquiryKind.ELIGIBILITY_INQUIRY, file_name=file_name[:200], content=text,
            sha256=digest_of(text), interchange_control=f"{numbers.interchange_control:09d}",
            line_count=len(requests), created_by=acting_user)
        payer_order = list(dict.fromkeys(coverage.payer.payer_id for coverage, _ in asked))
        EligibilityCheck.objects.bulk_create([
            EligibilityCheck(inquiry=stored, coverage=coverage,
                             trace_number=request.trace_number,
                             transaction_reference=f"{numbers.interchange_control}"
                                                   f"{payer_order.index(coverage.payer.payer_id) + 1:04d}",
                             service_date=day)
            for (coverage, day), request in zip(asked, requests, strict=True)])
        # Sending a 270 discloses each patient's coverage and visit date to the payer: one event per chart.
        record_events([PendingEvent(AuditAction.EXPORT, user=acting_user, patient=coverage.patient,
                                    object_type="eligibility_inquiry", object_id=stored.pk,
                                    detail={"kind": "270", "service_date": day.isoformat(),
                                            "payer": coverage.payer.payer_id})
                       for coverage, day in asked])
    return stored


def do_export_270_for_coverage(coverage: Coverage, *, acting_user: Any, service_date: date | None = None
                               ) -> InquiryFile:
    """A 270 asking about one coverage (the desk's "Check eligibility", or `export-270 --patient`)."""
    require_permission(acting_user, WORK, "check eligibility")
    if not restriction_allows(acting_user, coverage.patient):
        raise ChartdeskError("This chart is restricted: eligibility cannot be checked from here.")
    if not coverage.active:
        raise ChartdeskError(COVERAGE_ENDED)
    day = service_date or timezone.localdate()
    return _write_270([(coverage, day)], acting_user=acting_user, file_name=f"270-{coverage.patient.mrn}.x12")


def do_export_270_for_patient(patient: Patient, *, acting_user: Any, service_date: date | None = None
                              ) -> InquiryFile:
    """A 270 asking about each active coverage of one patient."""
    require_permission(acting_user, WORK, "check eligibility")
    coverages = list(patient.coverages.select_related("payer", "patient").filter(active=True).order_by("rank"))
    if not coverages:
        raise ChartdeskError(f"Patient {patient.mrn} has no active coverage: nothing to ask about.")
    if not restriction_allows(acting_user, patient):
        raise ChartdeskError("This chart is restricted: eligibility cannot be checked from here.")
    day = service_date or timezone.localdate()
    return _write_270([(coverage, day) for coverage in coverages], acting_user=acting_user,
                      file_name=f"270-{patient.mrn}.x12")


@dataclass
class VisitInquiry:
    inquiry: InquiryFile
    asked: int
    self_pay: list[tuple[str, date]]  # (MRN, visit date) of visits with no active coverage


def do_export_270_for_visits(days: int, *, acting_user: Any, today: date | None = None) -> VisitInquiry:
    """A 270 for every active coverage of every patient booked from tomorrow to `days` days ahead."""
    require_permission(acting_user, WORK, "check eligibility")
    if not 1 <= days <= MAX_DAYS:
        raise ChartdeskError(DAYS_RANGE, field="days")
    start = (today or timezone.localdate()) + timedelta(days=1)
    visits = upcoming_visits(start, start + timedelta(days=days - 1))
    coverages: dict[int, list[Coverage]] = {}
    for coverage in (Coverage.objects.select_related("payer", "patient")
                     .filter(active=True, patient_id__in={patient_id for patient_id, _ in visits}).order_by("rank")):
        coverages.setdefault(coverage.patient_id, []).append(coverage)
    asked: list[tuple[Coverage, date]] = []
    self_pay: list[tuple[str, date]] = []
    for patient_id, day in visits:
        held = [c for c in coverages.get(patient_id, []) if restriction_allows(acting_user, c.patient)]
        if not held:
            mrn = Patient.objects.filter(pk=patient_id).values_list("mrn", flat=True).first() or str(patient_id)
            self_pay.append((mrn, day))
        asked += [(coverage, day) for coverage in held]
    if not asked:
        raise ChartdeskError(NOTHING_TO_ASK.format(days=days))
    inquiry = _write_270(asked, acting_user=acting_user, file_name=f"270-visits-{start:%Y%m%d}.x12")
    return VisitInquiry(inquiry=inquiry, asked=len(asked), self_pay=self_pay)


# ----------------------------------------------------------------------------- the 271


def _preferred(benefits: list[Benefit], code: str) -> Benefit | None:
    """The benefit of this kind an office visit in the network costs: in-network (or not stated) before
    out-of-network, an office-visit or plan-wide service type before others, the individual's before the
    family's."""
    candidates = [b for b in benefits if b.code == code]
    if not candidates:
        return None

    def rank(benefit: Benefit) -> tuple[int, int, int]:
        network = 0 if benefit.in_network in ("Y", "W", "") else 1
        service = min((codes.OFFICE_VISIT.index(t) for t in benefit.service_types if t in codes.OFFICE_VISIT),
                      default=len(codes.OFFICE_VISIT) if benefit.service_types else 1)
        level = 0 if benefit.coverage_level in ("IND", "") else 1
        return network, service, level

    return min(candidates, key=rank)


def _deductible_remaining(benefits: list[Benefit]) -> Decimal | None:
    remaining = [b for b in benefits if b.code == "C" and b.time_period == codes.REMAINING and b.amount is not None]
    chosen = _preferred(remaining, "C")
    return chosen.amount if chosen else None


def _plan_dates(answer: EligibilityAnswer) -> tuple[date | None, date | None]:
    dates = answer.dates
    begin = next((dates[q][0] for q in ("346", "356", "291", "307") if q in dates), None)
    end = next((dates[q][0] for q in ("347", "357") if q in dates), None)
    if end is None:
        end = next((dates[q][1] for q in ("291", "307") if q in dates and dates[q][1]), None)
    return begin, end


def _status(answer: EligibilityAnswer, rejections: list[Rejection]) -> str:
    found = {b.code for b in answer.benefits}
    if found & codes.ACTIVE:
        return EligibilityStatus.ACTIVE
    if found & codes.INACTIVE:
        return EligibilityStatus.INACTIVE
    return EligibilityStatus.REJECTED if rejections else EligibilityStatus.UNKNOWN


def _benefit_rows(benefits: list[Benefit]) -> list[dict[str, str]]:
    return [{"code": b.code, "meaning": codes.benefit_text(b.code), "level": b.coverage_level,
             "services": codes.service_type_text(list(b.service_types)), "plan": b.plan,
             "period": codes.TIME_PERIODS.get(b.time_period, b.time_period),
             "amount": "" if b.amount is None else str(b.amount),
             "percent": "" if b.percent is None else f"{(b.percent * 100).normalize():f}%",
             "in_network": {"Y": "in network", "N": "out of network", "W": "either"}.get(b.in_network, "")}
            for b in benefits]


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


def _result(answer: EligibilityAnswer | None, rejections: list[Rejection], **links: Any) -> EligibilityResult:
    rows = [[r.reason, r.follow_up, codes.rejection_text(r.reason, r.follow_up)] for r in rejections]
    if answer is None:
        return EligibilityResult(status=EligibilityStatus.REJECTED, rejections=rows, **links)
    copay, coinsurance = _preferred(answer.benefits, "B"), _preferred(answer.benefits, "A")
    begin, end = _plan_dates(answer)
    plan = next((b.plan for b in answer.benefits if b.code in codes.ACTIVE | codes.INACTIVE and b.plan), "")
    return EligibilityResult(
        trace_number=answer.trace_number[:50], member_id=answer.member_id[:80],
        status=_status(answer, rejections), plan_name=plan[:60], plan_begin=begin, plan_end=end,
        copay=_cents(copay.amount if copay else None),
        coinsurance=coinsurance.percent.quantize(Decimal("0.0001")) if coinsurance and coinsurance.percent else None,
        deductible_remaining=_cents(_deductible_remaining(answer.benefits)), rejections=rows,
        benefits=_benefit_rows(answer.benefits), **links)


@dataclass
class EligibilityImport:
    response: InquiryFile | None = None
    already_imported: bool = False
    matched: list[EligibilityResult] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # trace numbers (or BHT03 references) none of ours has


def do_import_271(content: bytes, *, acting_user: Any, file_name: str = "") -> EligibilityImport:
    """Record a 271: refused whole (with the segment position) when malformed; the same file twice changes
    nothing; each answer is matched to our 270 request by its trace number and kept with that coverage."""
    require_permission(acting_user, WORK, "import eligibility responses")
    text, digest, response = read_inbound(content, parse_271, "271")
    try:
        return _record_271(text, digest, response, acting_user=acting_user, file_name=file_name)
    except IntegrityError:
        # The same file imported twice at once: the second finds the first's row by its digest.
        if InquiryFile.objects.filter(kind=InquiryKind.ELIGIBILITY_RESPONSE, sha256=digest).exists():
            return EligibilityImport(already_imported=True)
        raise


def _record_271(text: str, digest: str, response: Response271, *, acting_user: Any,
                file_name: str) -> EligibilityImport:
    result = EligibilityImport()
    with transaction.atomic():
        if InquiryFile.objects.filter(kind=InquiryKind.ELIGIBILITY_RESPONSE, sha256=digest).exists():
            result.already_imported = True
            return result
        stored = InquiryFile.objects.create(
            kind=InquiryKind.ELIGIBILITY_RESPONSE, file_name=file_name[:200], sha256=digest, content=text,
            interchange_control=response.interchange_control[:9], line_count=len(response.answers),
            created_by=acting_user)
        result.response = stored
        traces = [answer.trace_number for answer in response.answers]
        references = [t.reference for t in response.transactions if t.rejections]
        checks = {check.trace_number: check for check in EligibilityCheck.objects.select_related(
            "coverage__payer", "coverage__patient").filter(trace_number__in=traces)}
        rows: list[EligibilityResult] = []
        for item in response.transactions:
            for answer in item.answers:
                check = checks.get(answer.trace_number)
                links = {"response": stored, "check_request": check, "coverage": check.coverage if check else None}
                rows.append(_result(answer, item.rejections + answer.rejections, **links))
        # A rejection of the whole transaction set (no subscriber level) answers each request of that set.
        for check in EligibilityCheck.objects.select_related("coverage__payer", "coverage__patient").filter(
                transaction_reference__in=references):
            rejections = next(t.rejections for t in response.transactions if t.reference == check.transaction_reference)
            rows.append(_result(None, rejections, response=stored, check_request=check, coverage=check.coverage,
                                trace_number=check.trace_number))
        known = {check.transaction_reference for check in EligibilityCheck.objects.filter(
            transaction_reference__in=references)}
        result.unmatched = [row.trace_number for row in rows if row.check_request is None]
        result.unmatched += [f"transaction {reference}" for reference in references if reference not in known]
        EligibilityResult.objects.bulk_create(rows)
        result.matched = [row for row in rows if row.check_request is not None]
        record_events([PendingEvent(AuditAction.CREATE, user=acting_user, patient=row.coverage.patient,
                                    object_type="eligibility_result", object_id=stored.pk,
                                    detail={"trace": row.trace_number, "status": row.status})
                       for row in result.matched if row.coverage is not None])
        record_event(AuditAction.CREATE, user=acting_user, object_type="eligibility_response", object_id=stored.pk,
                     detail={"kind": "271", "matched": len(result.matched), "unmatched": result.unmatched[:50]})
    return result


def latest_results(coverages: list[Coverage]) -> dict[int, EligibilityResult]:
    """The newest answer about each of these coverages."""
    latest: dict[int, EligibilityResult] = {}
    for row in (EligibilityResult.objects.filter(coverage__in=coverages).select_related("response")
                .order_by("received_at", "id")):
        latest[row.coverage_id] = row  # type: ignore[index]
    return latest


def latest_for_patient(patient: Patient) -> EligibilityResult | None:
    """The newest answer about the patient's active primary coverage (else secondary), for check-in."""
    coverages = list(patient.coverages.filter(active=True).order_by("rank"))
    latest = latest_results(coverages)
    return next((latest[c.pk] for c in coverages if c.pk in latest), None)


def describe(result: EligibilityResult) -> str:
    """One line for the command's report and the desk's messages."""
    parts = [result.get_status_display()]
    if result.plan_name:
        parts.append(result.plan_name)
    if result.plan_begin or result.plan_end:
        parts.append(f"plan {result.plan_begin or '?'} to {result.plan_end or 'open'}")
    if result.copay is not None:
        parts.append(f"copay {result.copay}")
    if result.coinsurance is not None:
        parts.append(f"coinsurance {result.coinsurance_percent}")
    if result.deductible_remaining is not None:
        parts.append(f"deductible remaining {result.deductible_remaining}")
    parts += [row[2] for row in result.rejections]
    return ", ".join(parts)
