"""MPI rules shared by every feed (HL7 v2 intake, FHIR import): when an incoming patient may be
linked to one already in the index instead of being registered again."""

from __future__ import annotations

from chartdesk.patients.models import Patient, PatientIdentifier
from chartdesk.patients.schemas import IdentifierInput
from chartdesk.patients.validation import identifier_value_key

# A feed links an incoming patient to a chart only in the trained model's "match" band
# (patients.linkage_match: probability 0.99 or more and no household sign); a "review" candidate is
# registered anew and reported for HIM review rather than risk an overlay.
AUTO_LINK_BAND = "match"


def conflicting_identifier(patient: Patient, identifiers: list[IdentifierInput]) -> bool:
    """Does the candidate already hold another number from the same issuer? Then the sender's own
    index says these are two people, and linking them would be an overlay."""
    for identifier in identifiers:
        held = PatientIdentifier.objects.filter(patient=patient, type=identifier.type, active=True,
                                                issuer__iexact=identifier.issuer)
        if held.exists() and not held.filter(value_key=identifier_value_key(identifier.value)).exists():
            return True
    return False
