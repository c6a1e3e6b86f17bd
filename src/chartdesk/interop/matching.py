"""MPI rules shared by every feed (HL7 v2 intake, FHIR import): when an incoming patient may be
linked to one already in the index instead of being registered again."""

from __future__ import annotations

from chartdesk.patients.linkage_match import Candidate
from chartdesk.patients.models import Patient, PatientIdentifier
from chartdesk.patients.schemas import IdentifierInput
from chartdesk.patients.validation import identifier_value_key

# A feed links an incoming patient to a chart only in the trained model's "match" band
# (patients.linkage_match: probability 0.99 or more and no household sign) and only when something
# besides the name and birth date agrees (LINK_CORROBORATION); anything less is registered anew and
# reported for HIM review rather than risk an overlay. Measured on FEBRL 4, whose records carry only
# names, birth dates and addresses here, 5% of match-band offers resting on name and birth date were
# another person: a desk registrar sees the candidate and decides, a feed cannot.
AUTO_LINK_BAND = "match"
LINK_CORROBORATION = frozenset({"ssn", "phone", "address"})


def may_link(candidate: Candidate) -> bool:
    """May a feed link the incoming patient to this candidate without a person deciding?"""
    return candidate.band == AUTO_LINK_BAND and any(
        item.field in LINK_CORROBORATION and item.weight > 0 for item in candidate.evidence)


def conflicting_identifier(patient: Patient, identifiers: list[IdentifierInput]) -> bool:
    """Does the candidate already hold another number from the same issuer? Then the sender's own
    index says these are two people, and linking them would be an overlay."""
    for identifier in identifiers:
        held = PatientIdentifier.objects.filter(patient=patient, type=identifier.type, active=True,
                                                issuer__iexact=identifier.issuer)
        if held.exists() and not held.filter(value_key=identifier_value_key(identifier.value)).exists():
            return True
    return False
