"""The CMS-1500 (02/12) claim form as PDF: data at the boxes of the printed red form, or the form drawn.

Positions follow the form's own grid (10 characters an inch, 6 lines an inch: 85 columns by 66
lines on letter paper), which is how the NUCC manual and print shops place the data. `red_form`
prints data only, for the pre-printed OCR form; plain paper also draws each box and its label.
Six service lines fit a form; a longer claim continues on more pages, the total on the last.
"""

from __future__ import annotations

import io
from decimal import Decimal

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from chartdesk.billing.codes import dotted_diagnosis
from chartdesk.billing.models import BillingOrganisation, Claim, ClaimLine, SubscriberRelationship

PAGE_WIDTH, PAGE_HEIGHT = letter
LEFT_MARGIN = 14.0
TOP_MARGIN = 6.0
COLUMN = 7.2  # 10 characters an inch
LINE = 12.0  # 6 lines an inch
LINES_PER_FORM = 6

# (box, label, line, column, width in columns) for plain paper; data go at (line, column).
BOXES = [
    ("1", "1. MEDICARE MEDICAID TRICARE CHAMPVA GROUP FECA OTHER", 8, 1, 48),
    ("1a", "1a. INSURED'S I.D. NUMBER", 8, 50, 35),
    ("2", "2. PATIENT'S NAME", 10, 1, 29),
    ("3", "3. PATIENT'S BIRTH DATE / SEX", 10, 31, 18),
    ("4", "4. INSURED'S NAME", 10, 50, 35),
    ("5", "5. PATIENT'S ADDRESS", 12, 1, 29),
    ("6", "6. PATIENT RELATIONSHIP TO INSURED", 12, 31, 18),
    ("7", "7. INSURED'S ADDRESS", 12, 50, 35),
    ("11", "11. INSURED'S POLICY GROUP", 20, 50, 35),
    ("11a", "11a. INSURED'S DATE OF BIRTH / SEX", 22, 50, 35),
    ("11d", "11d. IS THERE ANOTHER HEALTH BENEFIT PLAN?", 28, 50, 35),
    ("12", "12. PATIENT'S SIGNATURE", 32, 1, 48),
    ("13", "13. INSURED'S SIGNATURE", 32, 50, 35),
    ("17", "17. NAME OF REFERRING PROVIDER / 17b. NPI", 36, 1, 48),
    ("21", "21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY (ICD Ind. 0)", 38, 1, 48),
    ("24", "24. A. DATES OF SERVICE  B. POS  D. CPT/HCPCS  MODIFIER  E. POINTER  F. CHARGES  G. UNITS  J. NPI",
     44, 1, 84),
    ("25", "25. FEDERAL TAX I.D. NUMBER", 58, 1, 21),
    ("26", "26. PATIENT'S ACCOUNT NO.", 58, 23, 14),
    ("27", "27. ACCEPT ASSIGNMENT?", 58, 38, 11),
    ("28", "28. TOTAL CHARGE", 58, 50, 14),
    ("29", "29. AMOUNT PAID", 58, 65, 20),
    ("31", "31. SIGNATURE OF PHYSICIAN OR SUPPLIER", 61, 1, 21),
    ("32", "32. SERVICE FACILITY LOCATION", 61, 23, 26),
    ("33", "33. BILLING PROVIDER INFO & PH #", 61, 50, 35),
]
INSURANCE_TYPE_COLUMN = {"MB": 1, "MC": 8, "CH": 15, "VA": 24, "CI": 31, "BL": 31, "HM": 31, "WC": 39}
RELATIONSHIP_COLUMN = {SubscriberRelationship.SELF: 33, SubscriberRelationship.SPOUSE: 38,
                       SubscriberRelationship.CHILD: 42, SubscriberRelationship.OTHER: 47}
SERVICE_ROWS = (46, 48, 50, 52, 54, 56)
DIAGNOSIS_SLOTS = [(38 + row, 3 + 12 * col) for row in (1, 2, 3) for col in range(4)]


def position(line: int, column: int) -> tuple[float, float]:
    """Page coordinates (points, from the bottom left) of a grid cell's text baseline."""
    return LEFT_MARGIN + (column - 1) * COLUMN, PAGE_HEIGHT - TOP_MARGIN - line * LINE


def box_position(box: str) -> tuple[float, float]:
    for name, _label, line, column, _width in BOXES:
        if name == box:
            return position(line, column)
    raise KeyError(box)


class _Form:
    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas

    def put(self, line: int, column: int, text: object) -> None:
        x, y = position(line, column)
        self.canvas.drawString(x, y, str(text).upper())

    def draw_boxes(self) -> None:
        canvas = self.canvas
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(LEFT_MARGIN, PAGE_HEIGHT - 40, "HEALTH INSURANCE CLAIM FORM")
        canvas.setFont("Helvetica", 6)
        canvas.drawString(LEFT_MARGIN, PAGE_HEIGHT - 50, "APPROVED BY NATIONAL UNIFORM CLAIM COMMITTEE (NUCC) 02/12")
        for _name, label, line, column, width in BOXES:
            x, y = position(line, column)
            height = LINE * {"24": 13, "31": 5, "32": 5, "33": 5}.get(_name, 2)
            canvas.rect(x - 2, y - 3 - (height - 2 * LINE), width * COLUMN, height)
            canvas.drawString(x, y + LINE - 3, label)
        canvas.setFont("Courier", 10)


def _date(value: object, full: bool = True) -> str:
    return value.strftime("%m %d %Y" if full else "%m %d %y") if value else ""  # type: ignore[attr-defined]


def _money(value: Decimal) -> str:
    dollars, cents = f"{value:.2f}".split(".")
    return f"{dollars:>7} {cents}"


def _header(form: _Form, claim: Claim, organisation: BillingOrganisation | None) -> None:
    coverage, patient, payer = claim.coverage, claim.patient, claim.payer
    form.put(2, 50, payer.name)
    if payer.address_line:
        form.put(3, 50, payer.address_line)
        form.put(4, 50, f"{payer.city} {payer.state} {payer.zip_code}")
    form.put(8, INSURANCE_TYPE_COLUMN.get(payer.claim_filing_indicator, 45), "X")
    form.put(8, 50, coverage.member_id)
    form.put(10, 1, f"{patient.family_name}, {patient.given_name}")
    form.put(10, 31, _date(patient.birth_date))
    form.put(10, 42 if patient.sex == "M" else 47, "X")
    form.put(10, 50, f"{coverage.subscriber_family_name}, {coverage.subscriber_given_name}")
    address = patient.addresses.filter(active=True).order_by("id").first()
    if address is not None:
        form.put(12, 1, address.line1)
        form.put(14, 1, f"{address.city} {address.state}")
        form.put(16, 1, address.postal_code)
    form.put(12, RELATIONSHIP_COLUMN.get(SubscriberRelationship(coverage.relationship), 47), "X")
    if coverage.subscriber_address_line:
        form.put(12, 50, coverage.subscriber_address_line)
        form.put(14, 50, f"{coverage.subscriber_city} {coverage.subscriber_state}")
        form.put(16, 50, coverage.subscriber_zip)
    form.put(20, 50, coverage.group_number)
    form.put(22, 53, _date(coverage.subscriber_birth_date))
    has_other = claim.rank == "secondary" or claim.patient.coverages.filter(active=True).count() > 1
    form.put(28, 52 if has_other else 57, "X")
    form.put(32, 9, "SIGNATURE ON FILE")
    form.put(32, 56, "SIGNATURE ON FILE")
    form.put(38, 45, "0")
    for (line, column), code in zip(DIAGNOSIS_SLOTS, claim.diagnoses, strict=False):
        letter_index = DIAGNOSIS_SLOTS.index((line, column))
        form.put(line, column - 2, f"{'ABCDEFGHIJKL'[letter_index]}.")
        form.put(line, column, dotted_diagnosis(code))
    if organisation is not None:
        form.put(58, 1, organisation.tax_id)
        form.put(58, 19, "X")  # EIN
        form.put(62, 50, organisation.name)
        form.put(63, 50, organisation.address_line)
        form.put(64, 50, f"{organisation.city} {organisation.state} {organisation.zip_code}")
        form.put(65, 51, organisation.npi)
        form.put(60, 66, organisation.phone)
    form.put(58, 23, claim.claim_number)
    form.put(58, 38, "X")  # accept assignment: yes


def _lines(form: _Form, lines: list[ClaimLine]) -> None:
    pointer_letters = "ABCDEFGHIJKL"
    for row, line in zip(SERVICE_ROWS, lines, strict=False):
        form.put(row, 1, _date(line.service_date, full=False))
        form.put(row, 10, _date(line.service_date, full=False))
        form.put(row, 19, line.place_of_service)
        form.put(row, 25, line.code)
        for n, modifier in enumerate(line.modifiers[:4]):
            form.put(row, 32 + 3 * n, modifier)
        form.put(row, 45, "".join(pointer_letters[p - 1] for p in line.diagnosis_pointers if 1 <= p <= 12))
        form.put(row, 50, _money(line.amount))
        form.put(row, 59, f"{line.units.normalize():f}")
        if line.rendering_provider is not None:
            form.put(row, 68, line.rendering_provider.npi)


def cms1500_pdf(claim: Claim, *, red_form: bool) -> bytes:
    """The claim on CMS-1500 (02/12): `red_form` prints only the data, else the form is drawn too."""
    organisation = BillingOrganisation.objects.order_by("id").first()
    lines = list(claim.lines.filter(superseded=False).select_related("rendering_provider").order_by("line_number"))
    pages = [lines[i:i + LINES_PER_FORM] for i in range(0, len(lines), LINES_PER_FORM)] or [[]]
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=letter, invariant=True)
    canvas.setTitle(f"CMS-1500 claim {claim.claim_number}")
    for number, page in enumerate(pages, start=1):
        form = _Form(canvas)
        if not red_form:
            form.draw_boxes()
        canvas.setFont("Courier", 10)
        _header(form, claim, organisation)
        _lines(form, page)
        if number == len(pages):
            form.put(58, 50, _money(claim.total_charge))
        else:
            form.put(58, 50, "CONTINUED")
        rendering = page[0].rendering_provider if page else None
        if rendering is not None:
            form.put(62, 1, f"{rendering.given_name} {rendering.family_name}")
        canvas.showPage()
    canvas.save()
    return out.getvalue()
