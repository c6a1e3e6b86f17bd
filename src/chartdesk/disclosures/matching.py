"""Does an authorization cover the request it is attached to? Valid on its own is not enough.

An authorization (45 CFR 164.508) permits one disclosure: to the recipient it names, for the purposes
it states, of the records it describes, of the patient who signed it. `authorization_mismatches`
compares each of those with the request and with the documents the release would hold, and names
every element that does not match. Recipients are compared as names a person would compare them
(case, punctuation, "&"/"and", legal forms like "Inc." or "LLP" ignored); purposes, record types and
dates as coded values and sets, never as free text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from chartdesk.charts.models import Document, DocumentType
from chartdesk.disclosures.authorizations import (
    NO_AUTHORIZATION,
    OTHER_PATIENT,
    authorization_problems,
    needs_authorization,
)
from chartdesk.disclosures.models import Authorization, Purpose, ReleaseRequest
from chartdesk.disclosures.selection import decide_documents

RECIPIENT_MISMATCH = "Recipient: the authorization names {named}, not the requester {requester}."
PURPOSE_MISMATCH = "Purpose: the authorization covers {covered}, not {purpose}."
PURPOSE_NOT_CODED = (
    "Purpose: the authorization's purposes are not recorded as choices from the list, so it cannot be "
    "shown to cover {purpose}; record the purposes the form states."
)
TYPES_MISMATCH = "Record types: the authorization covers {covered}; the release holds {outside}."
DATES_MISMATCH = "Dates: the authorization covers records {covered}; the release holds records of {outside}."
NOT_MATCHING = "This authorization does not cover this request: {why}"

# Words that do not tell one recipient from another: legal forms, titles and joining words.
IGNORED_WORDS = frozenset({
    "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "co", "company", "corp", "corporation", "pc",
    "pllc", "pa", "plc", "esq", "esquire", "the", "of", "and", "at", "attn", "attention", "c", "o", "dr", "mr",
    "mrs", "ms",
})
# Words that many recipients share: a name made of these alone identifies no one.
COMMON_WORDS = frozenset({
    "life", "health", "insurance", "insurer", "insurers", "underwriters", "underwriting", "law", "legal", "office",
    "offices", "firm", "group", "associates", "partners", "services", "clinic", "hospital", "medical", "center",
    "centre", "care", "plan", "mutual", "national", "american", "general", "family", "county", "state",
    "department", "agency", "court", "company",
})


def name_words(name: str) -> list[str]:
    """The words of a recipient's name that tell it apart: accents, case, punctuation and legal forms removed."""
    plain = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode("ascii").casefold()
    plain = plain.replace("&", " and ")
    return [word for word in re.findall(r"[a-z0-9]+", plain) if word not in IGNORED_WORDS]


def names_match(named: str, requester: str) -> bool:
    """The same recipient written two ways: the same words, or the words of the shorter name all found in the
    longer one when the shorter has at least two words and one that is not common ("Harbor Life" and
    "Harbor Life Insurance Co." match; "Life Insurance" and "Harbor Life Insurance" do not)."""
    first, second = name_words(named), name_words(requester)
    if not first or not second:
        return False
    if first == second:
        return True
    shorter, longer = sorted((set(first), set(second)), key=len)
    return len(shorter) >= 2 and bool(shorter - COMMON_WORDS) and shorter <= longer


def named_recipients(authorization: Authorization) -> list[str]:
    """An authorization may name several recipients, one a line or separated by semicolons."""
    return [part.strip() for part in re.split(r"[;\n]", authorization.recipient or "") if part.strip()]


def _words(values: Iterable[str], choices: type[Purpose] | type[DocumentType]) -> str:
    labels = [str(choices(value).label) if value in choices.values else value for value in values]
    return ", ".join(labels)


def _date_range(first: date | None, last: date | None) -> str:
    if first and last:
        return f"from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    if first:
        return f"from {first:%Y-%m-%d}"
    return f"up to {last:%Y-%m-%d}" if last else "of any date"


def authorization_mismatches(request: ReleaseRequest, authorization: Authorization,
                             released: list[Document]) -> list[str]:
    """Every element of `authorization` that does not cover `request` and the documents it would release."""
    mismatches = []
    if authorization.patient_id != request.patient_id:
        mismatches.append(OTHER_PATIENT)
    recipients = named_recipients(authorization)
    if recipients and not any(names_match(recipient, request.requester_name) for recipient in recipients):
        mismatches.append(RECIPIENT_MISMATCH.format(named="; ".join(recipients), requester=request.requester_name))
    purposes = [purpose for purpose in authorization.purposes or [] if purpose in Purpose.values]
    purpose_words = request.get_purpose_display().lower()
    if not purposes:
        mismatches.append(PURPOSE_NOT_CODED.format(purpose=purpose_words))
    elif request.purpose not in purposes:
        mismatches.append(PURPOSE_MISMATCH.format(covered=_words(purposes, Purpose).lower(), purpose=purpose_words))
    covered_types = set(authorization.document_types or [])
    if covered_types:
        outside = sorted({document.document_type for document in released} - covered_types)
        if outside:
            mismatches.append(TYPES_MISMATCH.format(covered=_words(sorted(covered_types), DocumentType),
                                                    outside=_words(outside, DocumentType)))
    first, last = authorization.records_from, authorization.records_to
    outside_dates = sorted({document.service_date for document in released
                            if (first and document.service_date < first) or (last and document.service_date > last)})
    if outside_dates:
        mismatches.append(DATES_MISMATCH.format(covered=_date_range(first, last),
                                                outside=", ".join(f"{day:%Y-%m-%d}" for day in outside_dates)))
    return mismatches


def candidate_mismatches(request: ReleaseRequest, authorization: Authorization) -> list[str]:
    """What would not match if `authorization` were attached to `request` (the release it would then hold)."""
    released = decide_documents(request, authorization=authorization).included
    return authorization_mismatches(request, authorization, released)


def release_blockers(request: ReleaseRequest, today: date, released: list[Document] | None = None) -> list[str]:
    """Why this request may not be released today as far as its authorization goes ([] when it may): the
    authorization's own problems, then every element that does not cover the request."""
    if not needs_authorization(request):
        return []
    authorization = request.authorization
    if authorization is None:
        return [NO_AUTHORIZATION]
    if released is None:
        released = decide_documents(request).included
    return authorization_problems(authorization, today) + authorization_mismatches(request, authorization, released)
