"""Claim adjustment reason codes (CARC) and group codes: the texts a person reads in the work queue.

The common codes of a physician practice; an unknown code shows as "reason code N" rather than
being refused, since payers use the whole list.
"""

from __future__ import annotations

GROUPS = {
    "CO": "Contractual obligation",
    "PR": "Patient responsibility",
    "OA": "Other adjustment",
    "PI": "Payer initiated reduction",
    "CR": "Correction and reversal",
}

REASONS = {
    "1": "Deductible amount.",
    "2": "Coinsurance amount.",
    "3": "Co-payment amount.",
    "4": "The procedure code is inconsistent with the modifier used, or a required modifier is missing.",
    "5": "The procedure code/type of bill is inconsistent with the place of service.",
    "6": "The procedure/revenue code is inconsistent with the patient's age.",
    "7": "The procedure/revenue code is inconsistent with the patient's gender.",
    "11": "The diagnosis is inconsistent with the procedure.",
    "16": "Claim/service lacks information or has submission/billing error(s).",
    "18": "Exact duplicate claim/service.",
    "22": "This care may be covered by another payer per coordination of benefits.",
    "23": "The impact of prior payer(s) adjudication including payments and/or adjustments.",
    "24": "Charges are covered under a capitation agreement/managed care plan.",
    "26": "Expenses incurred prior to coverage.",
    "27": "Expenses incurred after coverage terminated.",
    "29": "The time limit for filing has expired.",
    "31": "Patient cannot be identified as our insured.",
    "35": "Lifetime benefit maximum has been reached.",
    "39": "Services denied at the time authorization/pre-certification was requested.",
    "45": "Charge exceeds fee schedule/maximum allowable or contracted/legislated fee arrangement.",
    "49": "This is a non-covered service because it is a routine/preventive exam.",
    "50": "These are non-covered services because this is not deemed a 'medical necessity' by the payer.",
    "59": "Processed based on multiple or concurrent procedure rules.",
    "96": "Non-covered charge(s).",
    "97": "The benefit for this service is included in the payment/allowance for another service.",
    "109": "Claim/service not covered by this payer/contractor.",
    "119": "Benefit maximum for this time period or occurrence has been reached.",
    "140": "Patient/Insured health identification number and name do not match.",
    "151": "Payment adjusted because the payer deems the information submitted does not support this many services.",
    "167": "This (these) diagnosis(es) is (are) not covered.",
    "170": "Payment is denied when performed/billed by this type of provider.",
    "197": "Precertification/authorization/notification/pre-treatment absent.",
    "204": "This service/equipment/drug is not covered under the patient's current benefit plan.",
    "226": "Information requested from the Billing/Rendering Provider was not provided or not provided timely.",
    "236": "This procedure or procedure/modifier combination is not compatible with another procedure.",
    "242": "Services not provided by network/primary care providers.",
    "253": "Sequestration - reduction in federal payment.",
    "A1": "Claim/Service denied.",
    "A2": "Contractual adjustment.",
    "B7": "This provider was not certified/eligible to be paid for this procedure/service on this date of service.",
    "B9": "Patient is enrolled in a Hospice.",
    "B15": "This service/procedure requires that a qualifying service/procedure be received and covered.",
}


def reason_text(group: str, reason: str) -> str:
    """'CO-45: Charge exceeds fee schedule…' for the queue and the ledger."""
    text = REASONS.get(reason, f"reason code {reason}")
    return f"{group}-{reason}: {text} ({GROUPS.get(group, group)})"
