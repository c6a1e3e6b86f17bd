"""Claim adjustment reason codes (CARC), remark codes (RARC) and group codes: the texts a person reads in
the work queue, and the cause a biller acts on that each denial is filed under.

The common codes of a physician practice and a hospital; an unknown code shows as "reason code N" rather
than being refused, since payers use the whole list. Texts are the X12 code lists' own wording, shortened
where they run on.
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
    "9": "The diagnosis is inconsistent with the patient's age.",
    "10": "The diagnosis is inconsistent with the patient's gender.",
    "15": "The authorization number is missing, invalid, or does not apply to the billed services or provider.",
    "33": "Insured has no dependent coverage.",
    "40": "Charges do not meet qualifications for emergent/urgent care.",
    "55": "Procedure/treatment/drug is deemed experimental/investigational by the payer.",
    "56": "Procedure/treatment has not been deemed 'proven to be effective' by the payer.",
    "58": "Treatment was deemed by the payer to have been rendered in an inappropriate or invalid place of service.",
    "125": "Submission/billing error(s).",
    "146": "Diagnosis was invalid for the date(s) of service reported.",
    "150": "Payer deems the information submitted does not support this level of service.",
    "152": "Payer deems the information submitted does not support this length of service.",
    "177": "Patient has not met the required eligibility requirements.",
    "181": "Procedure code was invalid on the date of service.",
    "182": "Procedure modifier was invalid on the date of service.",
    "198": "Precertification/notification/authorization/pre-treatment exceeded.",
    "200": "Expenses incurred during lapse in coverage.",
    "288": "Referral absent.",
    "B13": "Previously paid. Payment for this claim/service may have been provided in a previous payment.",
}

# Remittance advice remark codes (835 LQ*HE): the payer's detail beside the reason code.
REMARKS = {
    "M15": "Separately billed services/tests have been bundled as they are considered components of the same "
           "procedure.",
    "M20": "Missing/incomplete/invalid HCPCS.",
    "M51": "Missing/incomplete/invalid procedure code(s).",
    "M76": "Missing/incomplete/invalid diagnosis or condition.",
    "M80": "Not covered when performed during the same session/date as a previously processed service.",
    "M81": "You are required to code to the highest level of specificity.",
    "M86": "Service denied because payment already made for same/similar procedure within set time frame.",
    "MA04": "Secondary payment cannot be considered without the identity of or payment information from the "
            "primary payer.",
    "MA130": "Your claim contains incomplete and/or invalid information, and no appeal rights are afforded "
             "because the claim is unprocessable.",
    "N4": "Missing/incomplete/invalid prior insurance carrier EOB.",
    "N30": "Patient ineligible for this service.",
    "N54": "Claim information is inconsistent with pre-certified/authorized services.",
    "N56": "Procedure code billed is not correct/valid for the services billed or the date of service billed.",
    "N115": "This decision was based on a Local Coverage Determination (LCD).",
    "N130": "Consult plan benefit documents/guidelines for information about restrictions for this service.",
    "N180": "This item or service does not meet the criteria for the category under which it was billed.",
    "N211": "You may not appeal this decision.",
    "N386": "This decision was based on a National Coverage Determination (NCD).",
}


# The causes a biller works a denial by, each with what usually fixes it (shown on the work list).
CAUSES = {
    "eligibility": ("Eligibility and coverage", "Check the patient's coverage on the date of service; bill the "
                    "right payer or the patient."),
    "coding": ("Coding and billing errors", "Correct the codes, modifiers or claim data and send a corrected "
               "claim."),
    "authorization": ("Authorization and referral", "Find the authorization or referral, or ask for a "
                      "retro-authorization, then appeal or correct."),
    "timely_filing": ("Timely filing", "Appeal with proof of timely filing (the 999 or 277CA of the first "
                      "submission), else write it off."),
    "duplicate": ("Duplicate", "Check whether the first claim was paid; if not, appeal; never resend as new."),
    "medical_necessity": ("Medical necessity", "Appeal with the clinical documentation, or bill the patient "
                          "when an ABN was signed."),
    "other": ("Other", "Read the reason and remark codes."),
}

_REASON_CAUSES = {
    "eligibility": {"22", "24", "26", "27", "31", "33", "35", "49", "96", "109", "119", "140", "177", "200",
                    "204", "B9"},
    "coding": {"4", "5", "6", "7", "9", "10", "11", "16", "58", "59", "97", "125", "146", "181", "182", "236",
               "B15"},
    "authorization": {"15", "39", "197", "198", "242", "288"},
    "timely_filing": {"29"},
    "duplicate": {"18", "B13"},
    "medical_necessity": {"40", "50", "55", "56", "150", "151", "152", "167"},
}
# A remark names the cause when the reason code alone is general (16, 96, A1: "lacks information",
# "non-covered", "denied").
_REMARK_CAUSES = {
    "eligibility": {"MA04", "N4", "N30", "N130"},
    "coding": {"M15", "M20", "M51", "M76", "M80", "M81", "N56", "MA130"},
    "authorization": {"N54"},
    "duplicate": {"M86"},
    "medical_necessity": {"N115", "N180", "N386"},
}
GENERAL_REASONS = {"16", "96", "A1", "45"}


def cause_of(reason: str, remarks: tuple[str, ...] | list[str] = ()) -> str:
    """The cause (a key of CAUSES) a denial with this reason code and these remark codes is worked under."""
    if reason in GENERAL_REASONS or reason not in _ALL_REASONS:
        for remark in remarks:
            for cause, codes in _REMARK_CAUSES.items():
                if remark in codes:
                    return cause
    for cause, codes in _REASON_CAUSES.items():
        if reason in codes:
            return cause
    return "other"


_ALL_REASONS = set().union(*_REASON_CAUSES.values())


def remark_text(remark: str) -> str:
    return f"{remark}: {REMARKS.get(remark, 'remark code ' + remark)}"


def reason_text(group: str, reason: str) -> str:
    """'CO-45: Charge exceeds fee schedule…' for the queue and the ledger."""
    text = REASONS.get(reason, f"reason code {reason}")
    return f"{group}-{reason}: {text} ({GROUPS.get(group, group)})"
