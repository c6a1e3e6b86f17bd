"""Patient statements: what each patient owes, printed in batches as one PDF (a page per patient)."""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.billing.ledger import claim_balance
from chartdesk.billing.models import (
    BillingOrganisation,
    Claim,
    LedgerEntry,
    LedgerKind,
    Party,
    Statement,
    StatementBatch,
)
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.patients.access import restriction_allows
from chartdesk.patients.models import Patient

NOBODY_OWES = "No patient has a balance to bill."
ZERO = Decimal("0.00")


def patients_owing() -> list[tuple[Patient, Decimal]]:
    """Patients whose own balance (not their insurance's) is above zero, by name."""
    from chartdesk.billing.models import LEDGER_SIGN

    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for patient_id, kind, amount in LedgerEntry.objects.filter(party=Party.PATIENT).values_list(
        "patient_id", "kind", "amount"
    ):
        totals[patient_id] += LEDGER_SIGN[LedgerKind(kind)] * amount
    owing = {pk: total for pk, total in totals.items() if total > 0}
    patients = Patient.objects.filter(pk__in=owing).order_by("family_name", "given_name", "pk")
    return [(patient, owing[patient.pk]) for patient in patients]


def do_create_statement_batch(*, acting_user: Any) -> StatementBatch:
    """A statement for every patient who owes (charts the user may not open are left out)."""
    if acting_user is None or not getattr(acting_user, "is_authenticated", False) or not acting_user.has_perm(
        "billing.work_claims"
    ):
        raise PermissionRefused("You do not have permission to send statements.")
    owing = [(patient, balance) for patient, balance in patients_owing() if restriction_allows(acting_user, patient)]
    if not owing:
        raise ChartdeskError(NOBODY_OWES)
    today = timezone.localdate()
    with transaction.atomic():
        batch = StatementBatch.objects.create(created_by=acting_user, statement_count=len(owing))
        Statement.objects.bulk_create(
            Statement(batch=batch, patient=patient, balance=balance, statement_date=today) for patient, balance in owing
        )
        record_event(AuditAction.PRINT, user=acting_user, object_type="statement_batch", object_id=batch.pk,
                     detail={"statements": len(owing), "patients": [p.mrn for p, _ in owing][:500]})
    return batch


def _page(canvas: Canvas, statement: Statement, organisation: BillingOrganisation | None) -> None:
    patient = statement.patient
    y = 740.0
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawString(50, y, organisation.name if organisation else "Statement")
    canvas.setFont("Helvetica", 10)
    if organisation is not None:
        canvas.drawString(50, y - 14, f"{organisation.address_line}, {organisation.city}, {organisation.state} "
                                      f"{organisation.zip_code[:5]}  Phone {organisation.phone}")
    canvas.setFont("Helvetica-Bold", 12)
    canvas.drawString(400, y, "PATIENT STATEMENT")
    canvas.setFont("Helvetica", 10)
    canvas.drawString(400, y - 14, f"Statement date: {statement.statement_date:%m/%d/%Y}")
    canvas.drawString(400, y - 28, f"Account (MRN): {patient.mrn}")
    y -= 70
    canvas.drawString(50, y, f"{patient.given_name} {patient.family_name}")
    address = patient.addresses.filter(active=True).order_by("id").first()
    if address is not None:
        canvas.drawString(50, y - 13, address.line1)
        canvas.drawString(50, y - 26, f"{address.city}, {address.state} {address.postal_code}")
    y -= 60
    canvas.setFont("Helvetica-Bold", 9)
    for x, title in ((50, "Service date"), (130, "Claim"), (230, "Charges"), (300, "Insurance paid"),
                     (390, "Adjustments"), (470, "You owe")):
        canvas.drawString(x, y, title)
    canvas.setFont("Helvetica", 9)
    claims = Claim.objects.filter(patient=patient, rank="primary").order_by("created_at")
    for claim in claims:
        owed = claim_balance(claim, Party.PATIENT) + sum(
            (claim_balance(s, Party.PATIENT) for s in claim.secondary_claims.all()), ZERO
        )
        if owed <= 0:
            continue
        entries = LedgerEntry.objects.filter(claim__in=[claim, *claim.secondary_claims.all()])
        paid = sum((e.amount for e in entries if e.kind == LedgerKind.PAYMENT and e.party == Party.INSURANCE), ZERO)
        adjusted = sum((e.amount for e in entries if e.kind == LedgerKind.ADJUSTMENT), ZERO)
        first_line = claim.lines.filter(superseded=False).order_by("line_number").first()
        y -= 14
        canvas.drawString(50, y, f"{first_line.service_date:%m/%d/%Y}" if first_line else "")
        canvas.drawString(130, y, claim.claim_number)
        canvas.drawRightString(280, y, f"{claim.total_charge:.2f}")
        canvas.drawRightString(370, y, f"{paid:.2f}")
        canvas.drawRightString(450, y, f"{adjusted:.2f}")
        canvas.drawRightString(520, y, f"{owed:.2f}")
        if y < 120:
            break
    y -= 30
    canvas.setFont("Helvetica-Bold", 12)
    canvas.drawString(330, y, f"Amount due: ${statement.balance:.2f}")
    canvas.setFont("Helvetica", 9)
    canvas.drawString(50, 80, "Please pay within 30 days. Questions about this statement: call the billing office.")


def statement_batch_pdf(batch: StatementBatch) -> bytes:
    organisation = BillingOrganisation.objects.order_by("id").first()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=letter, invariant=True)
    canvas.setTitle(f"Statements, batch {batch.pk}")
    for statement in batch.statements.select_related("patient").order_by("patient__family_name", "patient_id"):
        _page(canvas, statement, organisation)
        canvas.showPage()
    canvas.save()
    return out.getvalue()
