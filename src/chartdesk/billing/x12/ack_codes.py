"""The 999 (005010X231A1) code lists in plain English, for the biller reading an acknowledgement."""

from __future__ import annotations

# IK5-01 (transaction set) and AK9-01 (functional group): data element 717
ACK_STATUS = {
    "A": "Accepted", "E": "Accepted, but errors were noted", "M": "Rejected: message authentication code failed",
    "P": "Partially accepted: at least one transaction set was rejected", "R": "Rejected",
    "W": "Rejected: failed validity tests", "X": "Rejected: content could not be analysed after decryption",
}
ACCEPTED = frozenset({"A", "E"})

# IK5-02..06: data element 718
TRANSACTION_ERRORS = {
    "1": "Transaction set not supported", "2": "Transaction set trailer (SE) missing",
    "3": "Control number in ST and SE do not match", "4": "SE segment count does not match the segments sent",
    "5": "One or more segments in error", "6": "Missing or invalid transaction set identifier",
    "7": "Missing or invalid transaction set control number", "8": "Authentication key name unknown",
    "9": "Encryption key name unknown", "10": "Requested service not available", "11": "Unknown security recipient",
    "12": "Incorrect message length", "13": "Message authentication code failed", "15": "Unknown security originator",
    "16": "Syntax error in decrypted text", "17": "Security not supported",
    "18": "Transaction set not in functional group", "19": "Invalid implementation convention reference (ST03)",
    "23": "Transaction set control number not unique within the functional group",
    "24": "S3E security end segment missing", "25": "S3S security start segment missing",
    "26": "S4E security end segment missing", "27": "S4S security start segment missing",
    "I5": "One or more segments in error against the implementation guide",
    "I6": "Implementation convention not supported",
}

# IK3-04: data element 620
SEGMENT_ERRORS = {
    "1": "Unrecognised segment ID", "2": "Unexpected segment", "3": "Required segment missing",
    "4": "Loop occurs over maximum times", "5": "Segment exceeds maximum use",
    "6": "Segment not in defined transaction set", "7": "Segment not in proper sequence",
    "8": "Segment has data element errors", "I4": "Segment the guide marks 'not used' is present",
    "I6": "Segment required by the guide in this situation is missing",
    "I7": "Loop occurs fewer times than the guide's minimum",
    "I8": "Segment occurs fewer times than the guide's minimum",
    "I9": "Segment the guide marks 'not used' in this situation is present",
}

# IK4-03: data element 621
ELEMENT_ERRORS = {
    "1": "Required data element missing", "2": "Conditional required data element missing",
    "3": "Too many data elements", "4": "Data element too short", "5": "Data element too long",
    "6": "Invalid character in data element", "7": "Invalid code value", "8": "Invalid date", "9": "Invalid time",
    "10": "Exclusion condition violated", "12": "Too many repetitions", "13": "Too many components",
    "I6": "Code value not used by the implementation guide",
    "I9": "Data element required by the guide in this situation is missing",
    "I10": "Data element the guide marks 'not used' is present",
    "I11": "Too few repetitions for the guide", "I12": "Does not match the guide's pattern",
    "I13": "Data element the guide marks 'not used' in this situation is present",
}

# AK9-05..09: data element 716
GROUP_ERRORS = {
    "1": "Functional group not supported", "2": "Functional group version not supported",
    "3": "Functional group trailer (GE) missing", "4": "Group control number in GS and GE do not agree",
    "5": "GE transaction set count does not match the sets sent", "6": "Group control number violates syntax",
    "10": "Authentication key name unknown", "11": "Encryption key name unknown",
    "12": "Requested service not available", "13": "Unknown security recipient", "14": "Unknown security originator",
    "15": "Syntax error in decrypted text", "16": "Security not supported", "17": "Incorrect message length",
    "18": "Message authentication code failed",
    "19": "Functional group control number not unique within the interchange",
    "23": "S3E security end segment missing", "24": "S3S security start segment missing",
    "25": "S4E security end segment missing", "26": "S4S security start segment missing",
}


def explain(table: dict[str, str], code: str) -> str:
    return table.get(code, f"code {code} (not in the 005010X231A1 list)")
