"""The code lists a 271 answers with, in plain English for the front desk: eligibility or benefit codes
(EB01, X12 element 1390), time periods (EB06, 615), the commonest service types (EB03, 1365), and the
reasons a request is rejected (AAA03, 901) with the follow-up the payer asks for (AAA04, 889). A code
not listed is shown by number with the element to look it up in."""

from __future__ import annotations

BENEFITS = {
    "1": "active coverage", "2": "active, full risk capitation", "3": "active, services capitated",
    "4": "active, services capitated to primary care physician", "5": "active, pending investigation",
    "6": "inactive", "7": "inactive, pending eligibility update", "8": "inactive, pending investigation",
    "A": "co-insurance", "B": "co-payment", "C": "deductible", "CB": "coverage basis", "D": "benefit description",
    "E": "exclusions", "F": "limitations", "G": "out of pocket (stop loss)", "H": "unlimited", "I": "non-covered",
    "J": "cost containment", "K": "reserve", "L": "primary care provider", "M": "pre-existing condition",
    "MC": "managed care coordinator", "N": "services restricted to the following provider",
    "O": "not deemed a medical necessity", "P": "benefit disclaimer", "Q": "second surgical opinion required",
    "R": "other or additional payer", "S": "prior year(s) history", "T": "card(s) reported lost or stolen",
    "U": "contact the following entity for eligibility or benefit information", "V": "cannot process",
    "W": "other source of data", "X": "health care facility", "Y": "spend down",
}
ACTIVE = frozenset({"1", "2", "3", "4", "5"})
INACTIVE = frozenset({"6", "7", "8"})

TIME_PERIODS = {
    "6": "hour", "7": "day", "13": "24 hours", "21": "years", "22": "service year", "23": "calendar year",
    "24": "year to date", "25": "contract", "26": "episode", "27": "visit", "28": "outlier", "29": "remaining",
    "30": "exceeded", "31": "not exceeded", "32": "lifetime", "33": "lifetime remaining", "34": "month",
    "35": "week", "36": "admission",
}
REMAINING = "29"

SERVICE_TYPES = {
    "1": "medical care", "30": "health benefit plan coverage", "33": "chiropractic", "35": "dental care",
    "47": "hospital", "48": "hospital inpatient", "50": "hospital outpatient", "86": "emergency services",
    "88": "pharmacy", "98": "professional (physician) visit, office", "AL": "vision (optometry)",
    "MH": "mental health", "UC": "urgent care",
}
# Service types whose co-payment and co-insurance are the ones a clinic visit costs the patient.
OFFICE_VISIT = ("98", "30", "1")

REJECT_REASONS = {
    "04": "authorized quantity exceeded", "15": "required application data missing",
    "41": "authorization or access restrictions", "42": "unable to respond at the current time",
    "43": "invalid or missing provider identification", "44": "invalid or missing provider name",
    "45": "invalid or missing provider specialty", "46": "invalid or missing provider phone number",
    "47": "invalid or missing provider state", "48": "invalid or missing referring provider identification number",
    "49": "provider is not the primary care physician", "50": "provider ineligible for inquiries",
    "51": "provider not on file", "52": "service dates not within the provider's plan enrollment",
    "53": "inquired benefit inconsistent with provider type", "54": "inappropriate product or service ID qualifier",
    "55": "inappropriate product or service ID", "56": "inappropriate date",
    "57": "invalid or missing date(s) of service", "58": "invalid or missing date of birth",
    "60": "date of birth follows date(s) of service", "61": "date of death precedes date(s) of service",
    "62": "date of service not within the allowable inquiry period", "63": "date of service in the future",
    "64": "invalid or missing patient ID", "65": "invalid or missing patient name",
    "66": "invalid or missing patient gender code", "67": "patient not found", "68": "duplicate patient ID number",
    "69": "inconsistent with the patient's age", "70": "inconsistent with the patient's gender",
    "71": "the patient's date of birth does not match the payer's record",
    "72": "invalid or missing subscriber (insured) ID", "73": "invalid or missing subscriber (insured) name",
    "74": "invalid or missing subscriber (insured) gender code", "75": "subscriber (insured) not found",
    "76": "duplicate subscriber (insured) ID number", "77": "subscriber found, patient not found",
    "78": "subscriber (insured) not in the group or plan identified", "79": "invalid participant identification",
    "80": "no response received, transaction terminated", "97": "invalid or missing provider address",
    "T4": "payer name or identifier missing",
}
FOLLOW_UPS = {
    "C": "please correct and resubmit", "N": "resubmission not allowed", "P": "please resubmit the original request",
    "R": "resubmission allowed", "S": "do not resubmit; the payer asked a third party",
    "W": "please wait 30 days and resubmit", "X": "please wait 10 days and resubmit",
    "Y": "do not resubmit; the payer will send the answer",
}


def benefit_text(code: str) -> str:
    return BENEFITS.get(code, f"eligibility or benefit code {code} (X12 element 1390)")


def service_type_text(codes: list[str]) -> str:
    return ", ".join(SERVICE_TYPES.get(code, f"service type {code}") for code in codes)


def rejection_text(reason: str, follow_up: str) -> str:
    """An AAA segment as the front desk reads it: what is wrong, then what the payer asks."""
    text = REJECT_REASONS.get(reason, f"reject reason {reason} (X12 element 901)") if reason else "request rejected"
    if follow_up:
        text += f"; {FOLLOW_UPS.get(follow_up, f'follow-up {follow_up} (X12 element 889)')}"
    return text[0].upper() + text[1:]
