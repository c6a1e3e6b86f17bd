"""The appeal letter of a denial, as a PDF (reportlab, as the CMS-1500, UB-04 and statements): the claim,
the payer's reason in plain English beside its codes, and the biller's argument recorded with the appeal."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.billing.actions import WORK
from chartdesk.billing.carc import remark_text
from chartdesk.billing.corrections import payer_claim_number
from chartdesk.billing.models import BillingOrganisation, Denial, DenialAction
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.permissions import require_permission
from chartdesk.core.templatetags.desk import desk_date as format_date

NOT_APPEALED = "Record the appeal with its argument first: the letter states the argument recorded."


def _paragraphs(text: str, style: Any) -> list[Any]:
    return [Paragraph(escape(part), style) for part in text.splitlines() if part.strip()]


def appeal_letter_pdf(denial: Denial) -> bytes:
    """The letter as PDF bytes (no audit: `do_print_appeal_letter` is the way the desk prints it)."""
    claim = denial.claim
    patient = claim.patient
    organisation = BillingOrganisation.objects.order_by("id").first()
    styles = getSampleStyleSheet()
    body, heading = styles["BodyText"], styles["Heading2"]
    lines = list(claim.lines.filter(superseded=False).order_by("line_number"))
    service_days = sorted({line.service_date for line in lines})
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=letter, title=f"Appeal of claim {claim.claim_number}",
                                 leftMargin=inch, rightMargin=inch, topMargin=0.8 * inch, bottomMargin=0.8 * inch,
                                 invariant=True)
    story: list[Any] = []
    if organisation is not None:
        story += _paragraphs(f"{organisation.name}\n{organisation.address_line}\n{organisation.city}, "
                             f"{organisation.state} {organisation.zip_code[:5]}\nNPI {organisation.npi}", body)
    story += [Spacer(1, 12), Paragraph(format_date(timezone.localdate()), body), Spacer(1, 12)]
    payer = claim.payer
    story += _paragraphs(f"{payer.name}\nAppeals and reconsiderations\n{payer.address_line}\n"
                         f"{payer.city}{', ' if payer.city else ''}{payer.state} {payer.zip_code[:5]}", body)
    story += [Spacer(1, 12), Paragraph("Request for reconsideration of a denied claim", heading)]
    facts = [
        ["Patient", f"{patient.family_name}, {patient.given_name}"],
        ["Date of birth", format_date(patient.birth_date)],
        ["Member ID", claim.coverage.member_id],
        ["Our claim number", claim.claim_number],
        ["Your claim number", payer_claim_number(claim) or "not given"],
        ["Date(s) of service", ", ".join(format_date(day) for day in service_days)],
        ["Billed", f"{claim.total_charge:,.2f}"],
        ["Denied", f"{denial.amount:,.2f}" + (f" on line {denial.service_line.code}" if denial.service_line else "")],
    ]
    story += [Table(facts, colWidths=[1.8 * inch, 4.6 * inch], hAlign="LEFT"), Spacer(1, 12)]
    story.append(Paragraph("The denial", styles["Heading3"]))
    story += _paragraphs(denial.reason_text, body)
    story += _paragraphs("\n".join(remark_text(remark) for remark in denial.remarks), body)
    story.append(Paragraph("Why the claim should be paid", styles["Heading3"]))
    story += _paragraphs(denial.note, body)
    story += [Spacer(1, 12), Paragraph("We ask you to reconsider the claim and pay it as billed. The supporting "
                                       "documentation is enclosed.", body), Spacer(1, 24)]
    if organisation is not None:
        story += _paragraphs(f"{organisation.contact_name}\n{organisation.name}\nTelephone {organisation.phone}", body)
    document.build(story)
    return out.getvalue()


def do_print_appeal_letter(denial: Denial, *, acting_user: Any) -> bytes:
    """The appeal letter of an appealed denial; the print is audited on the patient."""
    require_permission(acting_user, WORK, "print appeal letters")
    if denial.action != DenialAction.APPEAL or not denial.note:
        raise ChartdeskError(NOT_APPEALED)
    pdf = appeal_letter_pdf(denial)
    record_event(AuditAction.PRINT, user=acting_user, patient=denial.claim.patient, object_type="appeal_letter",
                 object_id=denial.pk, detail={"claim": denial.claim.claim_number})
    return pdf
