"""Can the 837P (and the 837I) carry it? Every element the writer sends whose value comes from our data, checked
against what 005010X222A1 allows, on the same snapshot the writer writes from.

The scrubber turns each problem into a finding on the claim (with the fix named), and the export
refuses a batch holding one, so a value the guide does not allow is never substituted or sent. The
code lists (states and provinces, places of service) are pyx12's, the same lists its validator checks
the file against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from chartdesk.billing.x12.elements import SEXES, Party, ProviderData, clean
from chartdesk.billing.x12.writer837 import ClaimData, OrganisationData
from chartdesk.billing.x12.writer837i import InstitutionalClaimData

# PAT01 (loop 2000C) and SBR02 (loop 2320), from the 837P map
PATIENT_RELATIONSHIPS = frozenset({"01", "19", "20", "21", "39", "40", "53", "G8"})
OTHER_SUBSCRIBER_RELATIONSHIPS = PATIENT_RELATIONSHIPS | {"18"}
# The X12 extended character set (letters, digits, space and these specials), separators excluded.
_X12_CHARACTERS = re.compile(r"[A-Za-z0-9 !\"&'()+,\-./;?=%@\[\]_{}\\|<>#$]*")
_US_ZIP = re.compile(r"\d{5}(\d{4})?")


@dataclass(frozen=True)
class Problem:
    rule: str
    message: str
    line_number: int | None = None


@cache
def _code_list(name: str) -> frozenset[str]:
    import pyx12.codes

    return frozenset(pyx12.codes.ExternalCodes(None, None).codes[name]["codes"])


def state_codes() -> frozenset[str]:
    """US states, territories, military post codes and Canadian provinces (N402)."""
    return _code_list("states")


def place_of_service_codes() -> frozenset[str]:
    """The CMS place of service codes (CLM05-1, SV105)."""
    return _code_list("pos")


def canadian_provinces() -> frozenset[str]:
    return frozenset({"AB", "BC", "MB", "NB", "NF", "NS", "NT", "ON", "PE", "PQ", "SK", "YT"})


def _name(who: str, part: str, value: str, fix: str, *, required: bool) -> list[Problem]:
    text = clean(value)
    if required and not any(char.isalnum() for char in text):
        return [Problem("x12_name", f"The {who}'s {part} is empty in the X12 character set: {fix}.")]
    if not _X12_CHARACTERS.fullmatch(text):
        bad = "".join(sorted({char for char in text if not _X12_CHARACTERS.fullmatch(char)}))
        return [Problem("x12_name", f"The {who}'s {part} {value!r} has characters an 837P cannot carry "
                                    f"({bad!r}): {fix}.")]
    return []


def _address(who: str, party: Party | OrganisationData, fix: str) -> list[Problem]:
    if not party.address_line:
        return []
    found = []
    if not clean(party.city):
        found.append(Problem("x12_address", f"The {who}'s address has no city: {fix}."))
    state = clean(party.state)
    if state not in state_codes():
        found.append(Problem("x12_state", f"The {who}'s state {party.state!r} is not a US state, territory or "
                                          f"Canadian province code an 837P accepts: {fix}."))
    elif state not in canadian_provinces() and not _US_ZIP.fullmatch(party.zip_code):
        found.append(Problem("x12_postal_code", f"The {who}'s ZIP code {party.zip_code!r} must be 5 or 9 digits: "
                                                f"{fix}."))
    return found


def _where(party: Party) -> tuple[str, str, str, str]:
    return party.address_line, party.city, party.state, party.zip_code.replace("-", "")


def _demographics(who: str, party: Party, fix: str, first_service: date | None, form: str) -> list[Problem]:
    found = []
    if party.sex not in SEXES:
        found.append(Problem("x12_sex", f"The {who}'s sex {party.sex or '(none)'} cannot be sent on an {form}: "
                                        f"record F, M or U {fix}."))
    if party.birth_date is not None and first_service is not None and party.birth_date > first_service:
        found.append(Problem("x12_date", f"The {who}'s date of birth {party.birth_date:%Y-%m-%d} is after the "
                                         f"service on {first_service:%Y-%m-%d}: correct it {fix}."))
    return found


def provider_problems(who: str, provider: ProviderData | None, line_number: int | None = None) -> list[Problem]:
    if provider is None:
        return []
    fix = "correct the provider's record"
    return [Problem(p.rule, p.message, line_number)
            for p in _name(who, "family name", provider.family_name, fix, required=True)
            + _name(who, "given name", provider.given_name, fix, required=False)]


def organisation_problems(organisation: OrganisationData) -> list[Problem]:
    """The billing provider's and submitter's elements (loops 1000A and 2010AA)."""
    fix = "correct it in the billing organisation set-up"
    found = _name("billing provider", "name", organisation.name, fix, required=True)
    found += _name("submitter", "contact name", organisation.contact_name, fix, required=True)
    found += _name("receiver", "name", organisation.receiver_name, fix, required=True)
    found += _address("billing provider", organisation, fix)
    if not (organisation.phone.isdecimal() and len(organisation.phone) == 10):
        found.append(Problem("x12_phone", f"The submitter's phone {organisation.phone!r} must be ten digits (area "
                                          f"code and number, PER04): {fix}."))
    return found


def party_problems(claim: ClaimData | InstitutionalClaimData, first_service: date | None, form: str = "837P"
                   ) -> list[Problem]:
    """The subscriber's, patient's, payer's and (on a secondary claim) the primary subscriber's elements:
    the same loops in both claim guides."""
    found: list[Problem] = []
    dependent = claim.relationship != "18"
    chart = "on the patient's chart"
    coverage = "on the patient's coverage"
    subscriber_fix = coverage if dependent else chart
    for part, value, required in (("family name", claim.subscriber.family_name, True),
                                  ("given name", claim.subscriber.given_name, False)):
        found += _name("subscriber" if dependent else "patient", part, value, f"correct it {subscriber_fix}",
                       required=required)
    found += _address("subscriber" if dependent else "patient", claim.subscriber, f"correct it {subscriber_fix}")
    found += _demographics("subscriber" if dependent else "patient", claim.subscriber, subscriber_fix, first_service,
                           form)
    if dependent:
        if claim.relationship not in PATIENT_RELATIONSHIPS:
            found.append(Problem("x12_relationship", f"Relationship code {claim.relationship!r} cannot be sent "
                                                     f"(PAT01): choose spouse, child or other {coverage}."))
        for part, value, required in (("family name", claim.patient.family_name, True),
                                      ("given name", claim.patient.given_name, False)):
            found += _name("patient", part, value, f"correct it {chart}", required=required)
        if _where(claim.patient) != _where(claim.subscriber):
            # A patient with no address of their own is sent at the subscriber's (already checked above).
            found += _address("patient", claim.patient, f"correct it {chart}")
        found += _demographics("patient", claim.patient, chart, first_service, form)
    found += _name("payer", "name", claim.payer.family_name, "correct it in the payer set-up", required=True)
    if claim.other_payer is not None:
        other = claim.other_payer
        if other.relationship not in OTHER_SUBSCRIBER_RELATIONSHIPS:
            found.append(Problem("x12_relationship", f"Relationship code {other.relationship!r} to the primary's "
                                                     f"subscriber cannot be sent (SBR02): correct the primary "
                                                     f"coverage."))
        found += _name("primary subscriber", "family name", other.subscriber.family_name,
                       "correct it on the primary coverage", required=True)
        found += _address("primary subscriber", other.subscriber, "correct it on the primary coverage")
    return found


def claim_problems(claim: ClaimData, *, today: date) -> list[Problem]:
    """Every value of `claim` that the 837P writer would send and the guide does not allow."""
    first_service = min((line.service_date for line in claim.lines), default=None)
    found = party_problems(claim, first_service)
    if claim.place_of_service not in place_of_service_codes():
        found.append(Problem("x12_place_of_service", f"Place of service {claim.place_of_service!r} is not a CMS "
                                                     f"place of service code: correct the claim's place of service."))
    found += provider_problems("rendering provider", claim.rendering)
    found += provider_problems("referring provider", claim.referring)
    for number, line in enumerate(claim.lines, start=1):
        if line.place_of_service not in place_of_service_codes():
            found.append(Problem("x12_place_of_service", f"Place of service {line.place_of_service!r} is not a CMS "
                                                         f"place of service code: correct the line.", number))
        if line.service_date > today:
            found.append(Problem("x12_date", f"The service date {line.service_date:%Y-%m-%d} is in the future: "
                                             f"a claim bills services already given.", number))
        if line.rendering is not None and line.rendering != claim.rendering:
            found += provider_problems("rendering provider", line.rendering, number)
    return found
