"""The accounting of disclosures as a letter to the patient (45 CFR 164.528(b)): printed and mailed.

The letter lists exactly the entries kept when the accounting was provided (`provided_entries`), so
what the patient reads is what the record says they were given. It is addressed like every other
letter to the patient: to the confidential-communication contact they asked for and the privacy
officer agreed (164.522(b)), otherwise to their mailing or home address.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from chartdesk.disclosures.accounting import LOOKBACK_YEARS, years_before
from chartdesk.disclosures.fees import dollars
from chartdesk.disclosures.models import AccountingRequest
from chartdesk.disclosures.packet import Typesetter
from chartdesk.disclosures.restrictions import confidential_contact
from chartdesk.patients.models import AddressUse, Patient

NOT_LISTED = (
    "This accounting does not list disclosures for your treatment, for payment or for our health care "
    "operations, disclosures to you or that you authorized in writing, disclosures for national security or "
    "to correctional institutions, and disclosures in a limited data set (45 CFR 164.528(a)(1))."
)
NONE_IN_PERIOD = "We made no disclosures of your health information in this period that must be listed."


def mailing_address(patient: Patient) -> str:
    """Where a letter to the patient goes: the agreed confidential contact, else their mailing or home address."""
    contact = confidential_contact(patient)
    if contact:
        return contact
    addresses = {address.use: address for address in patient.addresses.filter(active=True).order_by("id")}
    address = addresses.get(AddressUse.MAILING) or addresses.get(AddressUse.HOME)
    if address is None:
        return ""
    lines = [address.line1, address.line2, f"{address.city}, {address.state} {address.postal_code}"]
    return "\n".join(line for line in lines if line.strip())


def accounting_letter(accounting: AccountingRequest) -> bytes:
    """The PDF letter of a provided accounting: one block per disclosure (date, recipient and address,
    what was disclosed, purpose), the period it covers and the fee."""
    patient = accounting.patient
    provided = timezone.localtime(accounting.provided_at).date() if accounting.provided_at else timezone.localdate()
    since = years_before(provided, LOOKBACK_YEARS)
    setter = Typesetter()
    setter.canvas.setTitle("Accounting of disclosures")
    setter.write(getattr(settings, "FACILITY_NAME", "Health Information Management"), font=("Helvetica-Bold", 14))
    setter.write(f"{provided:%B %d, %Y}")
    setter.write(f"{patient.given_name} {patient.family_name}\n{mailing_address(patient)}".strip())
    setter.write(f"Re: Accounting of disclosures of your health information, {since:%Y-%m-%d} to {provided:%Y-%m-%d}",
                 font=("Helvetica-Bold", 11))
    setter.write(f"You asked on {accounting.received_on:%Y-%m-%d} for a list of the disclosures we made of your "
                 f"health information. MRN {patient.mrn}.")
    entries = accounting.provided_entries or []
    if not entries:
        setter.write(NONE_IN_PERIOD)
    for number, entry in enumerate(entries, start=1):
        setter.write(f"{number}. {entry['date']}: to {entry['recipient']}", font=("Helvetica-Bold", 10), gap=1)
        if entry.get("address"):
            setter.write(f"Address: {' '.join(entry['address'].split())}", gap=1)
        setter.write(f"What was disclosed: {entry['description']}", gap=1)
        setter.write(f"Purpose: {entry['purpose']}")
    setter.write(NOT_LISTED, font=("Helvetica-Oblique", 9))
    fee = (f"Fee: {dollars(accounting.fee_cents)} (a second accounting within 12 months)." if accounting.fee_cents
           else "There is no fee: this is your first accounting in 12 months.")
    setter.write(fee)
    return setter.finish()
