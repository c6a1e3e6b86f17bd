"""Posting an 835: match each claim by CLP01, post payments and adjustments, queue the denials.

The whole file is parsed and checked before anything is written, and it is posted in one
transaction: a malformed file changes nothing. A remittance is known by its payer and trace number
(TRN), so the same 835 imported again is recognised and changes nothing the second time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import PendingEvent, record_event, record_events
from chartdesk.audit.models import AuditAction
from chartdesk.billing import ledger
from chartdesk.billing.carc import cause_of, reason_text
from chartdesk.billing.models import (
    LEDGER_SIGN,
    Claim,
    ClaimLine,
    ClaimPayment,
    ClaimStatus,
    Coverage,
    CoverageRank,
    Denial,
    HeldPayment,
    LedgerEntry,
    LedgerKind,
    Party,
    Remittance,
    ServiceLinePayment,
)
from chartdesk.billing.x12.parser835 import ClaimRemit, Remit, ServicePayment, claim_remit_to_json, parse_835
from chartdesk.billing.x12.segments import X12Malformed
from chartdesk.core import clock
from chartdesk.core.errors import ChartdeskError, PermissionRefused

PAYABLE = {
    ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED, ClaimStatus.PARTIALLY_PAID, ClaimStatus.PAID, ClaimStatus.DENIED,
    ClaimStatus.APPEALED,
}
DENIED_STATUS = "4"
REVERSAL_STATUS = "22"
MAX_FILE_BYTES = 20 * 1024 * 1024
ZERO = Decimal("0.00")


@dataclass
class ImportResult:
    remittances: list[Remittance] = field(default_factory=list)
    already_imported: list[str] = field(default_factory=list)  # trace numbers seen before, in this same file
    trace_reused: list[str] = field(default_factory=list)  # a sentence per trace number another file used
    claims_posted: int = 0
    unmatched: list[str] = field(default_factory=list)  # "CLP01: why"
    held: list[str] = field(default_factory=list)  # "CLP01: why", each a HeldPayment to review
    denials: int = 0
    secondary_claims: list[Claim] = field(default_factory=list)


TRACE_REUSED = (
    "Remittance {trace} from {payer} was not posted: that trace number was already posted from "
    "{earlier} on {when:%m/%d/%Y} (payment {amount}), and this file is a different one. Ask the payer "
    "whether this is a new payment; if so they must send it under its own trace number."
)


def require_billing(user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_perm("billing.work_claims"):
        raise PermissionRefused("You do not have permission to post remittances.")


def decode_835(content: bytes) -> str:
    if len(content) > MAX_FILE_BYTES:
        raise ChartdeskError("The file is larger than 20 MB; split the remittance.", field="file")
    try:
        return content.decode("ascii")
    except UnicodeDecodeError as error:
        raise ChartdeskError(f"The file is not X12 text: byte {error.start} is not ASCII.", field="file") from None


def do_import_835(content: bytes, *, acting_user: Any, file_name: str = "") -> ImportResult:
    """Import an 835 file: refused whole (with the segment position) when malformed, posted whole otherwise."""
    require_billing(acting_user)
    text = decode_835(content)
    try:
        remits = parse_835(text)
    except X12Malformed as malformed:
        raise ChartdeskError(f"The 835 was refused and nothing was posted: {malformed}", field="file") from None
    digest = hashlib.sha256(content).hexdigest()
    result = ImportResult()
    with transaction.atomic():
        for remit in remits:
            earlier = Remittance.objects.filter(payer_identifier=remit.payer_identifier[:20],
                                                trace_number=remit.trace_number[:50]).first()
            if earlier is not None and earlier.file_sha256 == digest:
                result.already_imported.append(remit.trace_number)
            elif earlier is not None:
                # The same trace number in another file: a new payment sent under an old trace, or an
                # edited copy of the old file. Either way a person decides; it is never skipped silently.
                result.trace_reused.append(TRACE_REUSED.format(
                    trace=remit.trace_number, payer=remit.payer_name or remit.payer_identifier,
                    earlier=earlier.file_name or f"file {earlier.file_sha256[:12]}",
                    when=timezone.localtime(earlier.imported_at), amount=earlier.payment_amount))
            else:
                result.remittances.append(_post_remit(remit, digest, file_name, acting_user, result))
        record_event(AuditAction.CREATE, user=acting_user, object_type="remittance_file", object_id=digest[:16],
                     detail={"file": file_name[:100], "posted": result.claims_posted,
                             "unmatched": result.unmatched[:50], "held": result.held[:50],
                             "already_imported": result.already_imported,
                             "trace_reused": result.trace_reused[:50]})
    return result


def _chunks(values: list[Any], size: int = 2000) -> list[list[Any]]:
    """Keep IN (...) lists under every database's limit on query parameters."""
    return [values[start:start + size] for start in range(0, len(values), size)]


def _post_remit(remit: Remit, digest: str, file_name: str, acting_user: Any, result: ImportResult) -> Remittance:
    remittance = Remittance.objects.create(
        payer_name=remit.payer_name[:60], payer_identifier=remit.payer_identifier[:20],
        trace_number=remit.trace_number[:50], payment_amount=remit.payment_amount, payment_date=remit.payment_date,
        file_name=file_name[:200], file_sha256=digest, imported_by=acting_user,
    )
    unmatched: list[str] = []
    claims: dict[str, Claim] = {}
    for numbers in _chunks(sorted({c.claim_number for c in remit.claims})):
        for claim in (Claim.objects.select_for_update(of=("self",)).filter(claim_number__in=numbers)
                      .select_related("patient")):
            claims[claim.claim_number] = claim
    matched = [claims[c.claim_number] for c in remit.claims if c.claim_number in claims]
    book = RemittanceBook(remittance, acting_user, matched)
    for claim_remit in remit.claims:
        claim = claims.get(claim_remit.claim_number)
        if claim is None:
            unmatched.append(f"{claim_remit.claim_number}: no such claim")
        elif claim.status not in PAYABLE:
            unmatched.append(f"{claim_remit.claim_number}: the claim is {claim.get_status_display().lower()}, not sent")
        elif (why := book.reason_to_hold(claim, claim_remit)) is not None:
            book.hold(claim, claim_remit, why)
            result.held.append(f"{claim_remit.claim_number}: {why}")
        else:
            book.post_claim(claim, claim_remit)
    book.write()
    result.denials += book.denial_count
    remittance.claims_posted = len(book.posted)
    remittance.claims_unmatched = unmatched
    remittance.save(update_fields=["claims_posted", "claims_unmatched"])
    result.claims_posted += len(book.posted)
    result.unmatched += unmatched
    result.secondary_claims += bill_secondaries(book.posted, acting_user)
    return remittance


class RemittanceBook:
    """A remittance's postings, collected claim by claim in memory and written in a few bulk inserts.

    Balances come from one query over the ledger and are carried forward here as rows are added, so
    no claim's ledger is read again while the file is posted.
    """

    def __init__(self, remittance: Remittance, acting_user: Any, claims: list[Claim]) -> None:
        self.remittance = remittance
        self.acting_user = acting_user
        ids = sorted({claim.pk for claim in claims})
        self.balances: dict[int, Decimal] = {}
        self.lines: dict[int, list[ClaimLine]] = {}
        for chunk in _chunks(ids):
            self.balances.update(ledger.claim_balances(chunk, Party.INSURANCE))
            for line in ClaimLine.objects.filter(claim_id__in=chunk, superseded=False).order_by("line_number"):
                self.lines.setdefault(line.claim_id, []).append(line)
        self.payments: list[ClaimPayment] = []
        self.services: list[tuple[ClaimPayment, ServiceLinePayment]] = []
        self.entries: list[LedgerEntry] = []
        self.denials: list[Denial] = []
        self.events: list[tuple[Claim, dict[str, Any]]] = []
        self.posted: list[Claim] = []
        self.held: list[HeldPayment] = []
        self.now = clock.now()  # one posting moment for the whole file
        self.payment_description = f"{remittance.payer_name} payment, trace {remittance.trace_number}"[:200]

    @property
    def denial_count(self) -> int:
        return len(self.denials)

    def _ledger(self, claim: Claim, kind: str, party: str, amount: Decimal, **fields: Any) -> None:
        self.entries.append(ledger.unsaved_entry(claim, kind, party, amount, self.acting_user,
                                                 remittance=self.remittance, posted_at=self.now, **fields))
        if party == Party.INSURANCE:
            self.balances[claim.pk] = self.balances.get(claim.pk, ZERO) + LEDGER_SIGN[LedgerKind(kind)] * amount

    def reason_to_hold(self, claim: Claim, remit: ClaimRemit) -> str | None:
        """Why this CLP must not be posted without a person looking, or None to post it.

        A claim is paid once: a payment for a claim already paid in full (by any earlier file or an
        earlier CLP of this one), or more than what the payer still owes, is held. A reversal (CLP02
        22) takes money back and is always posted, so a reversal and its correction go through.
        """
        if remit.status_code == REVERSAL_STATUS or remit.paid <= 0:
            return None
        owed = self.balances.get(claim.pk, ZERO)
        if claim.status == ClaimStatus.PAID:
            return (f"the claim is already paid in full (insurance balance {owed}); this would pay "
                    f"{remit.paid} again")
        if remit.paid > owed:
            return f"the payment {remit.paid} is more than the {owed} the payer still owes on the claim"
        return None

    def hold(self, claim: Claim, remit: ClaimRemit, reason: str) -> None:
        self.held.append(HeldPayment(remittance=self.remittance, claim=claim, status_code=remit.status_code,
                                     paid_amount=remit.paid, reason=reason[:300],
                                     claim_remit=claim_remit_to_json(remit), created_at=self.now))
        self.events.append((claim, {"remittance": self.remittance.trace_number, "held": str(remit.paid),
                                    "reason": reason[:300]}))

    def post_claim(self, claim: Claim, remit: ClaimRemit) -> None:
        adjustments = remit.all_adjustments()
        payment = ClaimPayment(
            remittance=self.remittance, claim=claim, status_code=remit.status_code, charge_amount=remit.charge,
            paid_amount=remit.paid, patient_responsibility=remit.patient_responsibility,
            payer_claim_number=remit.payer_claim_number[:50],
            adjustments=[[a.group, a.reason, str(a.amount)] for a in adjustments],
        )
        self.payments.append(payment)
        by_adjustment = self._service_lines(claim, payment, remit.services)
        if remit.paid:
            self._ledger(claim, LedgerKind.PAYMENT, Party.INSURANCE, remit.paid, description=self.payment_description)
        denied = remit.status_code == DENIED_STATUS or (remit.paid == 0 and any(a.group != "PR" for a in adjustments))
        # A denied claim, or a line paid nothing, is worked, not written off: its balance stays with the
        # payer and each reason goes to the denial queue until someone decides.
        denied_lines = {id(a) for s in remit.services if s.paid == 0 for a in s.adjustments}
        for adjustment in adjustments:
            text = reason_text(adjustment.group, adjustment.reason)
            codes = {"group_code": adjustment.group, "reason_code": adjustment.reason, "description": text[:200]}
            if adjustment.group == "PR":
                self._ledger(claim, LedgerKind.TRANSFER_OUT, Party.INSURANCE, adjustment.amount, **codes)
                self._ledger(claim, LedgerKind.TRANSFER_IN, Party.PATIENT, adjustment.amount, **codes)
            elif denied or id(adjustment) in denied_lines:
                service_line, remarks = by_adjustment.get(id(adjustment), (None, []))
                self.denials.append(Denial(claim=claim, remittance=self.remittance, group_code=adjustment.group,
                                           reason_code=adjustment.reason, reason_text=text[:300],
                                           service_line=service_line, remarks=remarks,
                                           cause=cause_of(adjustment.reason, remarks),
                                           amount=adjustment.amount, created_at=self.now))
            else:
                self._ledger(claim, LedgerKind.ADJUSTMENT, Party.INSURANCE, adjustment.amount, **codes)
        if denied and not any(a.group != "PR" for a in adjustments):
            self.denials.append(Denial(claim=claim, remittance=self.remittance, group_code="", reason_code="",
                                       reason_text="Denied without an adjustment reason.",
                                       amount=remit.charge - remit.paid, created_at=self.now))
        before = claim.status
        if denied:
            claim.status = ClaimStatus.DENIED
        elif self.balances.get(claim.pk, ZERO) > 0:
            claim.status = ClaimStatus.PARTIALLY_PAID
        else:
            claim.status = ClaimStatus.PAID
        self.events.append((claim, {"remittance": self.remittance.trace_number, "paid": str(remit.paid),
                                    "status": [before, claim.status]}))
        self.posted.append(claim)

    def _service_lines(self, claim: Claim, payment: ClaimPayment, services: list[ServicePayment]
                       ) -> dict[int, tuple[ServiceLinePayment, list[str]]]:
        """Queue the claim's SVC rows; answers, by each line adjustment's id, the row it belongs to and the
        line's remark codes, so a denial names the line it was denied on (saved first, in `write`)."""
        unpaired = list(self.lines.get(claim.pk, []))
        by_adjustment: dict[int, tuple[ServiceLinePayment, list[str]]] = {}
        for position, service in enumerate(services, start=1):
            line = _pair(service, unpaired)
            row = ServiceLinePayment(
                claim_line=line, position=position, code=service.code[:48], modifiers=list(service.modifiers),
                charge_amount=service.charge, paid_amount=service.paid, units=service.units,
                service_date=service.service_date,
                adjustments=[[a.group, a.reason, str(a.amount)] for a in service.adjustments],
            )
            self.services.append((payment, row))
            for adjustment in service.adjustments:
                by_adjustment[id(adjustment)] = (row, [remark[:5] for remark in service.remarks])
        return by_adjustment

    def write(self) -> None:
        """Write everything collected: a handful of bulk inserts, one status update per status, and one
        audit event per claim, appended to the chain together."""
        ClaimPayment.objects.bulk_create(self.payments, batch_size=1000)
        for payment, service in self.services:
            service.claim_payment = payment
        ServiceLinePayment.objects.bulk_create([service for _, service in self.services], batch_size=1000)
        LedgerEntry.objects.bulk_create(self.entries, batch_size=1000)
        Denial.objects.bulk_create(self.denials, batch_size=1000)
        HeldPayment.objects.bulk_create(self.held, batch_size=1000)
        by_status: dict[str, list[int]] = {}
        # A claim answered twice in one file (a reversal and its correction) is one object here that
        # holds its last status: one update each.
        for claim in {claim.pk: claim for claim in self.posted}.values():
            by_status.setdefault(claim.status, []).append(claim.pk)
        for status, ids in by_status.items():
            for chunk in _chunks(ids):
                Claim.objects.filter(pk__in=chunk).update(status=status)
        record_events([PendingEvent(AuditAction.UPDATE, user=self.acting_user, patient=claim.patient,
                                    object_type="claim", object_id=claim.pk, detail=detail)
                       for claim, detail in self.events])


def _pair(service: ServicePayment, unpaired: list[ClaimLine]) -> ClaimLine | None:
    """The claim line an SVC paid: the first unpaired line with its code and modifiers, else with its code;
    a hospital line billed by revenue code alone is answered as SVC*NU:<revenue code>."""
    for wanted in (lambda line: line.code == service.code and tuple(line.modifiers) == service.modifiers,
                   lambda line: line.code == service.code,
                   lambda line: not line.code and line.revenue_code == service.code):
        for line in unpaired:
            if wanted(line):
                unpaired.remove(line)
                return line
    return None


def bill_secondaries(posted: list[Claim], acting_user: Any) -> list[Claim]:
    """A paid primary whose patient has an active secondary coverage gets its secondary claim now."""
    candidates = [claim for claim in posted if claim.rank == CoverageRank.PRIMARY
                  and claim.status in {ClaimStatus.PAID, ClaimStatus.PARTIALLY_PAID}]
    if not candidates:
        return []
    ids = [claim.pk for claim in candidates]
    billed: set[int] = set()
    covered: set[int] = set()
    for chunk in _chunks(ids):
        billed.update(Claim.objects.filter(primary_claim_id__in=chunk).values_list("primary_claim_id", flat=True))
    for chunk in _chunks(sorted({claim.patient_id for claim in candidates})):
        covered.update(Coverage.objects.filter(patient_id__in=chunk, rank=CoverageRank.SECONDARY, active=True)
                       .values_list("patient_id", flat=True))
    from chartdesk.billing.actions import do_create_secondary_claim

    made = []
    for claim in candidates:
        if claim.pk not in billed and claim.patient_id in covered:
            billed.add(claim.pk)  # a claim paid twice in one file is billed to the secondary once
            made.append(do_create_secondary_claim(claim, acting_user=acting_user))
    return made


def do_work_denial(denial: Denial, *, status: str, note: str, acting_user: Any) -> Denial:
    """Record what was done about a denial: appealed (the claim goes to appealed) or resolved."""
    from chartdesk.billing.models import DenialStatus

    require_billing(acting_user)
    if status not in {DenialStatus.APPEALED, DenialStatus.RESOLVED}:
        raise ChartdeskError("Choose appealed or resolved.", field="status")
    if not note.strip():
        raise ChartdeskError("Say what was done (the note).", field="note")
    with transaction.atomic():
        denial.status = status
        denial.note = note.strip()[:2000]
        denial.worked_at = clock.now()
        denial.worked_by = acting_user
        denial.save()
        claim = denial.claim
        if status == DenialStatus.APPEALED and claim.status in {ClaimStatus.DENIED, ClaimStatus.PARTIALLY_PAID}:
            claim.status = ClaimStatus.APPEALED
            claim.save(update_fields=["status"])
        record_event(AuditAction.UPDATE, user=acting_user, patient=claim.patient, object_type="denial",
                     object_id=denial.pk, detail={"status": status})
    return denial


def remittance_total(remittance: Remittance) -> Decimal:
    return sum((p.paid_amount for p in remittance.claim_payments.all()), Decimal("0.00"))
