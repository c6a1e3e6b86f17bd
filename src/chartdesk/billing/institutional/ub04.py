"""The UB-04 (CMS-1450) as PDF, drawn on plain paper with every form locator (FL) labelled.

The data come from the same snapshot the 837I writer sends (institutional/export.py), so the paper claim
and the electronic one cannot disagree. The grid is the form's own: 81 columns by 66 lines on letter
paper at 10 characters and 6 lines an inch. Twenty-two service lines fit a page; a longer claim continues
on the next pages (FL 43 "PAGE n OF m") with the total (revenue code 0001) on the last.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.billing import access
from chartdesk.billing.codes import dotted_diagnosis
from chartdesk.billing.institutional.chargemaster import items_in_effect
from chartdesk.billing.institutional.export import institutional_claim_data
from chartdesk.billing.models import BillingOrganisation, Claim, ClaimKind
from chartdesk.billing.x12.writer837i import POA_EXEMPT, InstitutionalClaimData, InstitutionalLine
from chartdesk.core.errors import ChartdeskError, NotFound

PAGE_WIDTH, PAGE_HEIGHT = letter
LEFT, TOP, COLUMN, LINE = 14.0, 10.0, 7.2, 11.4
LINES_PER_PAGE = 22
NOT_INSTITUTIONAL = "Claim {number} is a professional claim: print it on the CMS-1500."

# (label, line, column, width in columns): the label sits above the data line
LOCATORS = [
    ("1 BILLING PROVIDER", 1, 1, 26), ("3a PAT. CNTL #", 1, 53, 16), ("4 TYPE OF BILL", 1, 70, 11),
    ("5 FED. TAX NO.", 5, 40, 12), ("6 STATEMENT COVERS PERIOD", 5, 53, 18),
    ("8 PATIENT NAME", 8, 1, 30), ("9 PATIENT ADDRESS", 8, 33, 48),
    ("10 BIRTHDATE", 11, 1, 10), ("11 SEX", 11, 12, 4), ("12 ADM DATE", 11, 17, 9), ("13 HR", 11, 27, 3),
    ("14 TYPE", 11, 31, 4), ("15 SRC", 11, 36, 4), ("16 DHR", 11, 41, 4), ("17 STAT", 11, 46, 4),
    ("18-28 CONDITION CODES", 11, 51, 30),
    ("31-34 OCCURRENCE CODE / DATE", 14, 1, 40), ("35-36 OCCURRENCE SPAN CODE / FROM / THROUGH", 14, 42, 39),
    ("39-41 VALUE CODES / AMOUNT", 17, 42, 39),
    ("42 REV. CD.  43 DESCRIPTION            44 HCPCS / MODIFIERS  45 SERV. DATE  46 UNITS  47 TOTAL CHARGES",
     21, 1, 80),
    ("50 PAYER NAME", 46, 1, 28), ("51 HEALTH PLAN ID", 46, 30, 15), ("56 NPI", 46, 58, 12),
    ("58 INSURED'S NAME", 50, 1, 28), ("59 P. REL", 50, 30, 6), ("60 INSURED'S UNIQUE ID", 50, 37, 20),
    ("62 INSURANCE GROUP NO.", 50, 58, 16),
    ("66 DX  67 PRINCIPAL DX / POA, A-Q OTHER DIAGNOSES / POA", 54, 1, 80),
    ("69 ADMIT DX", 59, 1, 10), ("70 PATIENT REASON DX", 59, 12, 30), ("71 PPS CODE", 59, 43, 10),
    ("74 PRINCIPAL PROCEDURE / DATE, a-e OTHER PROCEDURES", 61, 1, 44), ("76 ATTENDING NPI / NAME", 61, 46, 35),
    ("77 OPERATING NPI / NAME", 64, 46, 35),
]


def _at(line: int, column: int) -> tuple[float, float]:
    return LEFT + (column - 1) * COLUMN, PAGE_HEIGHT - TOP - line * LINE


class _Page:
    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas

    def put(self, line: int, column: int, text: object) -> None:
        x, y = _at(line, column)
        self.canvas.drawString(x, y, str(text).upper())

    def draw(self) -> None:
        canvas = self.canvas
        canvas.setFont("Helvetica", 5.5)
        for label, line, column, width in LOCATORS:
            x, y = _at(line, column)
            canvas.rect(x - 2, y - 3, width * COLUMN, LINE * 2 - 1)
            canvas.drawString(x, y + LINE - 3, label)
        canvas.setFont("Helvetica-Bold", 8)
        canvas.drawString(LEFT, 14, "UB-04 CMS-1450    APPROVED OMB NO. 0938-0997    NUBC National Uniform Billing "
                                    "Committee")
        canvas.setFont("Courier", 8.5)


def _day(value: Any) -> str:
    return value.strftime("%m%d%y") if value else ""


def _poa(flag: str) -> str:
    return "" if flag == POA_EXEMPT else flag  # exempt codes are left blank on the UB-04 since 2011


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _header(page: _Page, claim: InstitutionalClaimData, organisation: BillingOrganisation | None,
            patient_address: str, page_number: int, pages: int) -> None:
    if organisation is not None:
        page.put(2, 1, organisation.name[:26])
        page.put(3, 1, organisation.address_line[:26])
        page.put(4, 1, f"{organisation.city} {organisation.state} {organisation.zip_code}"[:26])
        page.put(6, 40, organisation.tax_id)
        page.put(47, 58, organisation.npi)
    page.put(2, 53, claim.claim_number)
    page.put(2, 70, "0" + claim.bill_type)
    page.put(6, 53, f"{_day(claim.statement_from)} {_day(claim.statement_to)}")
    page.put(9, 1, f"{claim.patient.family_name}, {claim.patient.given_name}"[:30])
    page.put(9, 33, patient_address[:48])
    page.put(12, 1, claim.patient.birth_date.strftime("%m%d%Y") if claim.patient.birth_date else "")
    page.put(12, 12, claim.patient.sex)
    if claim.admission is not None:
        page.put(12, 17, _day(claim.admission))
        page.put(12, 27, claim.admission.strftime("%H"))
    page.put(12, 31, claim.admission_type)
    page.put(12, 36, claim.admission_source)
    page.put(12, 41, claim.discharge_hour.strftime("%H") if claim.discharge_hour else "")
    page.put(12, 46, claim.patient_status)
    page.put(12, 51, " ".join(claim.conditions[:11]))
    page.put(15, 1, "  ".join(f"{code} {_day(when)}" for code, when in claim.occurrences[:4]))
    page.put(15, 42, "  ".join(f"{code} {_day(a)} {_day(b)}" for code, a, b in claim.occurrence_spans[:2]))
    page.put(18, 42, "  ".join(f"{code} {value}" for code, value in claim.values[:4]))
    page.put(44, 14, f"PAGE {page_number} OF {pages}")
    page.put(47, 1, claim.payer.family_name[:28])
    page.put(47, 30, claim.payer.identifier)
    page.put(51, 1, f"{claim.subscriber.family_name}, {claim.subscriber.given_name}"[:28])
    page.put(51, 30, claim.relationship)
    page.put(51, 37, claim.subscriber.identifier)
    page.put(51, 58, claim.group_number)
    diagnoses = [claim.principal_diagnosis, *claim.other_diagnoses][:18]
    page.put(55, 1, "0")  # FL 66: ICD-10
    principal = claim.principal_diagnosis
    page.put(55, 4, f"{dotted_diagnosis(principal.code)} {_poa(principal.poa)}".strip())
    for slot, diagnosis in enumerate(diagnoses[1:]):
        page.put(56 + slot // 6, 4 + (slot % 6) * 13,
                 f"{'ABCDEFGHIJKLMNOPQ'[slot]} {dotted_diagnosis(diagnosis.code)} {_poa(diagnosis.poa)}".strip())
    page.put(60, 1, dotted_diagnosis(claim.admitting_diagnosis) if claim.admitting_diagnosis else "")
    page.put(60, 12, " ".join(dotted_diagnosis(code) for code in claim.reasons_for_visit))
    page.put(60, 43, claim.drg)
    for index, procedure in enumerate(claim.procedures[:6]):
        page.put(62 + index // 2, 1 + (index % 2) * 22, f"{procedure.code} {_day(procedure.performed_on)}")
    if claim.attending is not None:
        page.put(62, 46, f"{claim.attending.npi} {claim.attending.family_name}, {claim.attending.given_name}"[:35])
    if claim.operating is not None:
        page.put(65, 46, f"{claim.operating.npi} {claim.operating.family_name}, {claim.operating.given_name}"[:35])


def _line(page: _Page, row: int, line: InstitutionalLine, description: str) -> None:
    page.put(row, 1, line.revenue_code)
    page.put(row, 8, description[:22])
    page.put(row, 32, " ".join((line.hcpcs, *line.modifiers)).strip())
    page.put(row, 51, _day(line.service_date))
    page.put(row, 62, f"{line.units.normalize():f}")
    page.put(row, 68, f"{_money(line.amount):>13}")


def ub04_pdf(claim: Claim) -> bytes:
    """The institutional claim on the UB-04, drawn with its form locators."""
    if claim.kind != ClaimKind.INSTITUTIONAL:
        raise ChartdeskError(NOT_INSTITUTIONAL.format(number=claim.claim_number))
    snapshot = institutional_claim_data(claim)
    descriptions = _descriptions(claim)
    organisation = BillingOrganisation.objects.order_by("id").first()
    address = snapshot.patient
    patient_address = f"{address.address_line} {address.city} {address.state} {address.zip_code}".strip()
    lines = list(snapshot.lines)
    chunks = [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=letter, invariant=True)
    canvas.setTitle(f"UB-04 claim {claim.claim_number}")
    number = 0
    for page_number, chunk in enumerate(chunks, start=1):
        page = _Page(canvas)
        page.draw()
        _header(page, snapshot, organisation, patient_address, page_number, len(chunks))
        for row, line in enumerate(chunk, start=22):
            number += 1
            _line(page, row, line, descriptions.get(number, ""))
        if page_number == len(chunks):
            page.put(44, 1, "0001")
            page.put(44, 8, "TOTAL")
            page.put(44, 68, f"{_money(snapshot.total):>13}")
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _descriptions(claim: Claim) -> dict[int, str]:
    """FL 43 per line: the chargemaster's description of the line's charge, as of its service date."""
    found: dict[int, str] = {}
    for row in claim.lines.filter(superseded=False).select_related("charge").order_by("line_number"):
        items = items_in_effect(row.service_date)
        match = next((i for i in items if i.revenue_code == row.revenue_code and i.hcpcs == row.code), None)
        found[row.line_number] = match.description if match else ""
    return found


def do_print_ub04(claim_number: str, *, acting_user: Any) -> bytes:
    """The UB-04 of a claim found by its number, for a user who may work claims on the patient's chart;
    the print is audited."""
    found = Claim.objects.filter(claim_number=claim_number.strip()).values_list("pk", flat=True).first()
    if found is None:
        raise NotFound("claim")
    return print_ub04(access.access_claim_by_id(acting_user, found), acting_user=acting_user)


def print_ub04(claim: Claim, *, acting_user: Any) -> bytes:
    """The UB-04 of a claim the user has opened (through billing's access), the print audited."""
    pdf = ub04_pdf(claim)
    record_event(AuditAction.PRINT, user=acting_user, patient=claim.patient, object_type="ub04",
                 object_id=claim.pk, detail={"claim_number": claim.claim_number})
    return pdf
