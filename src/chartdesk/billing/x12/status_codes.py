"""The claim status category codes (X12 external code list 507) a 277CA carries, the claim status codes
(list 508) clearinghouses send most, and the entity codes, in plain English for the billing desk. A code
not listed here is shown as its number, with a pointer to the published list."""

from __future__ import annotations

CATEGORIES = {
    "A0": "Acknowledgement: forwarded to another entity",
    "A1": "Acknowledgement: received (not yet accepted)",
    "A2": "Acknowledgement: accepted into the adjudication system",
    "A3": "Acknowledgement: returned as unprocessable claim",
    "A4": "Acknowledgement: not found",
    "A5": "Acknowledgement: split claim",
    "A6": "Acknowledgement: rejected for missing information",
    "A7": "Acknowledgement: rejected for invalid information",
    "A8": "Acknowledgement: rejected for relational field in error",
    "E0": "Response not possible: error on the submitted request",
    "E1": "Response not possible: system status",
    "D0": "Data search unsuccessful",
    # The claim status response (277, 005010X212) answers with these as well.
    "P0": "Pending: adjudication or details", "P1": "Pending: in process", "P2": "Pending: payer review",
    "P3": "Pending: provider requested information", "P4": "Pending: patient requested information",
    "P5": "Pending: payer administrative or system hold",
    "F0": "Finalized", "F1": "Finalized: payment", "F2": "Finalized: denial",
    "F3": "Finalized: revised", "F3F": "Finalized: forwarded", "F3N": "Finalized: not forwarded",
    "F4": "Finalized: adjudication complete, no payment forthcoming",
    "R0": "Requests for additional information: general", "R1": "Requests for additional information: entity",
    "R3": "Requests for additional information: claim or line", "R4": "Requests for additional information: "
    "documentation", "E2": "Information holder is not responding; resubmit at a later time",
    "E3": "Correction required: relational fields in error", "E4": "Trading partner agreement specific requirement",
}
STATUS_CODES = {
    "0": "cannot provide further status electronically",
    "1": "for more detailed information, see the remittance advice",
    "2": "more detailed information in a letter",
    "3": "claim has been adjudicated and is awaiting the payment cycle",
    "65": "claim or line has been paid",
    "88": "entity not eligible for benefits for the submitted dates of service",
    "317": "requested additional information received",
    "16": "claim/encounter has been forwarded to entity",
    "19": "entity acknowledges receipt of claim/encounter",
    "20": "accepted for processing",
    "21": "missing or invalid information",
    "24": "entity not approved as an electronic submitter",
    "116": "claim submitted to the incorrect payer",
    "122": "missing or invalid data prevents the payer from processing the claim",
    "153": "entity's ID number",
    "187": "date(s) of service",
    "562": "entity's National Provider Identifier (NPI)",
}
ENTITIES = {
    "PR": "payer", "41": "submitter", "85": "billing provider", "82": "rendering provider", "77": "service location",
    "QC": "patient", "IL": "insured or subscriber", "DN": "referring provider", "71": "attending physician",
    "72": "operating physician", "40": "receiver", "1P": "provider",
}


def explain(category: str, code: str, entity: str) -> str:
    """One status in a sentence the billing desk can act on."""
    text = CATEGORIES.get(category, f"category {category}")
    if code:
        text += f"; {STATUS_CODES.get(code, f'claim status code {code} (X12 code list 508)')}"
    if entity:
        text += f" ({ENTITIES.get(entity, f'entity {entity}')})"
    return text
