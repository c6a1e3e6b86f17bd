"""Patient search: whatever the clerk typed, the likeliest patients first.

A query may mix names (in any order, with nicknames, typos and transposed letters), a date of
birth (day and month may be swapped), an MRN, a phone number and any identifier. Candidates come
only from index lookups on stored keys (see names.name_keys); only those candidates are scored.
Nothing here scans the patient table, which is what keeps a search on 100,000 patients fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import jellyfish
from django.db.models import Q
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import PermissionRefused
from chartdesk.patients.models import IdentifierType, NameUse, Patient, PatientIdentifier, PatientName, PatientPhone
from chartdesk.patients.mrn import is_valid_mrn
from chartdesk.patients.names import letters_key, name_tokens, nickname_family, normalise_name, phonetic_key
from chartdesk.patients.validation import identifier_value_key

# How many name rows one key lookup may bring back. A query as vague as one common given name
# would otherwise pull thousands of rows; the cap keeps every search a bounded amount of work.
ROW_CAP = 600
PREFIX_CAP = 400
MIN_PHONETIC_LENGTH = 4  # prefix matches, taken in key order: the shortest (closest) keys first
FUZZY_FLOOR = 0.84  # Jaro-Winkler similarity below which a name does not count as a typo of another
MAX_QUERY_LENGTH = 200

# Every column a name lookup reads, all of them in the patients_name_search_cover index: a common family
# name's rows come from the index alone, with no lookup of the name row or of its patient. Birth dates
# are not read here; only a query that typed a date needs them (_score_dates asks for those alone).
NAME_FIELDS = ("patient_id", "use", "family_name", "given_name", "family_key", "given_key", "family_phonetic",
               "given_phonetic", "family_letters")

_PHONE = re.compile(r"(?<![\d])(?:\+?1[\s.\-]*)?\(?(\d{3})\)?[\s.\-]*(\d{3})[\s.\-]*(\d{4})(?![\d])")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASH_DATE = re.compile(r"^(\d{1,2})([/\-.])(\d{1,2})\2(\d{2}|\d{4})$")


@dataclass
class SearchHit:
    patient: Patient
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class ParsedQuery:
    text: str
    dates: list[tuple[date, bool]] = field(default_factory=list)  # (date, typed with day and month swapped)
    mrns: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    identifier_keys: list[str] = field(default_factory=list)
    name_tokens: list[str] = field(default_factory=list)
    family_first: bool = False  # "garcia, maria": the part before the comma is the family name
    family_token_count: int = 0  # how many name tokens came before the comma

    @property
    def is_empty(self) -> bool:
        return not (self.dates or self.mrns or self.phones or self.identifier_keys or self.name_tokens)


def _year(text: str, today: date) -> int:
    if len(text) == 4:
        return int(text)
    # Two-digit years: a date of birth is in the past, so '80' is 1980 and '05' is 2005 (in 2026).
    year = 2000 + int(text)
    return year if year <= today.year else year - 100


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(token: str, today: date | None = None) -> list[tuple[date, bool]]:
    """The dates a typed token can mean: '03/15/1980' (US order), '15.03.1980' (day first),
    '1980-03-15'; each with its day/month-swapped reading when that is a real, different date."""
    today = today or timezone.localdate()
    iso = _ISO_DATE.match(token)
    if iso:
        year, first, second = int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
    else:
        other = _SLASH_DATE.match(token)
        if not other:
            return []
        a, separator, b, year_text = other.groups()
        year = _year(year_text, today)
        # Dots are the European habit (day first); slashes and dashes the US one (month first).
        first, second = (int(b), int(a)) if separator == "." else (int(a), int(b))
    readings: list[tuple[date, bool]] = []
    straight = _valid_date(year, first, second)
    if straight:
        readings.append((straight, False))
    swapped = _valid_date(year, second, first)
    if swapped and swapped != straight:
        # Only one reading is a real date (15/03/1980): that is what was meant, not a swap.
        readings.append((swapped, straight is not None))
    return [(day, was_swapped) for day, was_swapped in readings if day <= today]


def parse_query(text: str) -> ParsedQuery:
    query = ParsedQuery(text=text[:MAX_QUERY_LENGTH])
    rest = query.text
    for match in _PHONE.finditer(rest):
        query.phones.append("".join(match.groups()))
    rest = _PHONE.sub(" ", rest)
    query.family_first = "," in rest
    before_comma, _, after_comma = rest.partition(",")
    for part_index, part in enumerate((before_comma, after_comma)):
        for raw in part.split():
            token = raw.strip(",;")
            readings = parse_date(token)
            if readings:
                query.dates += readings
                continue
            compact = re.sub(r"[\s\-.]", "", token)
            if compact.isdecimal() and is_valid_mrn(compact):
                query.mrns.append(compact)
                query.identifier_keys.append(compact)
                continue
            if any(char.isdecimal() for char in token):
                key = identifier_value_key(token)
                if len(key) >= 4:
                    query.identifier_keys.append(key)
                continue
            query.name_tokens += name_tokens(token)
        if part_index == 0:
            query.family_token_count = len(query.name_tokens)
    return query


# ---------------------------------------------------------------------------------------------
# Candidate generation: index lookups only
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TypedName:
    """A typed name with its keys computed once, not once per candidate row."""

    text: str
    key: str
    letters: str
    phonetic: str
    nicknames: frozenset[str]

    @classmethod
    def of(cls, text: str) -> TypedName:
        key = normalise_name(text)
        # The sound of two or three letters ("Ken" -> KN) matches hundreds of unrelated names; short
        # fragments are matched as typed and as prefixes only.
        phonetic = phonetic_key(key) if len(key) >= MIN_PHONETIC_LENGTH else ""
        return cls(text=text.capitalize(), key=key, letters=letters_key(key), phonetic=phonetic,
                   nicknames=nickname_family(key))

    def family_exact(self) -> Q:
        condition = Q(family_key=self.key) | Q(family_letters=self.letters)
        return condition | Q(family_phonetic=self.phonetic) if self.phonetic else condition

    def given_exact(self) -> Q:
        condition = Q(given_key__in=sorted(self.nicknames))
        return condition | Q(given_phonetic=self.phonetic) if self.phonetic else condition


def _prefix_range(prefix: str) -> tuple[str, str]:
    """Keys are a-z only, so 'smith' <= key < 'smiti' is exactly "starts with smith", and unlike
    LIKE (case-insensitive in SQLite) a range uses the index on both engines."""
    stripped = prefix.rstrip("z")
    if not stripped:
        return prefix, "{"
    return prefix, stripped[:-1] + chr(ord(stripped[-1]) + 1)


def _starts_with(column: str, prefix: str) -> Q:
    low, high = _prefix_range(prefix)
    return Q(**{f"{column}__gte": low, f"{column}__lt": high})


def family_condition(token: str, *, prefix: bool = True) -> Q:
    """Family name equal, sounding alike, or with the same letters (transposed); or starting with it."""
    typed = TypedName.of(token)
    condition = typed.family_exact()
    if prefix and len(typed.key) >= 2:
        condition |= _starts_with("family_key", typed.key)
    return condition


def given_condition(token: str, *, prefix: bool = True) -> Q:
    """Given name equal, a nickname of it (or it of them), sounding alike; or starting with it."""
    typed = TypedName.of(token)
    condition = typed.given_exact()
    if prefix and len(typed.key) >= 2:
        condition |= _starts_with("given_key", typed.key)
    return condition


def _plausible_given(typed: TypedName) -> Q:
    # Cheap pre-filter pushed into SQL so that a common family name does not bring every bearer
    # into Python: a given name that is a typo of the typed one almost always keeps its first letter,
    # and the nickname and phonetic keys cover the ones that do not (Bill/William, Catherine/Katherine).
    return _starts_with("given_key", typed.key[:1]) | typed.given_exact()


def _given_with_family_initial(given: TypedName, family: TypedName) -> Q:
    # Spelled out per branch so each is one range in a (given, family) composite index.
    initial = _starts_with("family_key", family.key[:1])
    condition = Q(given_key__in=sorted(given.nicknames)) & initial
    if given.phonetic:
        condition |= Q(given_phonetic=given.phonetic) & initial
    return condition


def name_rows(condition: Q, cap: int = ROW_CAP, *, order_by: str = "") -> list[tuple[Any, ...]]:
    rows = PatientName.objects.filter(condition)
    if order_by:
        rows = rows.order_by(order_by)
    return list(rows.values_list(*NAME_FIELDS)[:cap])


def family_rows(typed: TypedName, also: Q | None = None) -> list[tuple[Any, ...]]:
    """Exact, phonetic and transposed matches in full (up to the cap), then the closest prefix matches
    in key order (so 'dal' brings 'dal', 'dale', 'dalby' before running into the cap)."""
    exact = typed.family_exact()
    rows = name_rows(exact & also if also is not None else exact)
    if len(typed.key) >= 2:
        prefix = _starts_with("family_key", typed.key)
        rows += name_rows(prefix & also if also is not None else prefix, PREFIX_CAP, order_by="family_key")
    return rows


def given_rows(typed: TypedName) -> list[tuple[Any, ...]]:
    rows = name_rows(typed.given_exact())
    if len(typed.key) >= 2:
        rows += name_rows(_starts_with("given_key", typed.key), PREFIX_CAP, order_by="given_key")
    return rows


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------

def family_similarity(typed: TypedName, row: tuple[Any, ...]) -> tuple[float, str]:
    """How well a typed family name matches a name row: (points, reason), (0, '') for no match."""
    stored, shown = row[4], row[2]
    if not typed.key:
        return 0.0, ""
    if stored == typed.key:
        return 40.0, f"family name {shown}"
    if row[8] == typed.letters:
        return 33.0, f"family name {shown} (letters transposed)"
    if row[6] and row[6] == typed.phonetic:
        return 31.0, f"family name sounds like {shown}"
    if stored.startswith(typed.key):
        return 20.0 + 12.0 * len(typed.key) / len(stored), f"family name starts {typed.text}"
    similarity = jellyfish.jaro_winkler_similarity(typed.key, stored)
    if similarity >= FUZZY_FLOOR:
        return 30.0 * similarity, f"family name close to {shown}"
    return 0.0, ""


def given_similarity(typed: TypedName, row: tuple[Any, ...]) -> tuple[float, str]:
    stored, shown = row[5], row[3]
    if not typed.key or not stored:
        return 0.0, ""
    if stored == typed.key:
        return 30.0, f"given name {shown}"
    if stored in typed.nicknames:
        if len(typed.key) < len(stored):
            return 25.0, f"{typed.text} is a nickname of {shown}"
        return 25.0, f"{shown} is a nickname of {typed.text}"
    if row[7] and row[7] == typed.phonetic:
        return 23.0, f"given name sounds like {shown}"
    if stored.startswith(typed.key):
        return 14.0 + 10.0 * len(typed.key) / len(stored), f"given name starts {typed.text}"
    similarity = jellyfish.jaro_winkler_similarity(typed.key, stored)
    if similarity >= FUZZY_FLOOR:
        return 22.0 * similarity, f"given name close to {shown}"
    return 0.0, ""


class _Board:
    """Best score and reasons per patient, across every way the query matched them."""

    def __init__(self) -> None:
        self.name_score: dict[int, float] = {}
        self.name_reasons: dict[int, list[str]] = {}
        self.named: set[int] = set()
        self.extra: dict[int, dict[str, tuple[float, str]]] = {}

    def offer_name(self, patient_id: int, score: float, reasons: list[str]) -> None:
        self.named.add(patient_id)
        if score > self.name_score.get(patient_id, 0.0):
            self.name_score[patient_id] = score
            self.name_reasons[patient_id] = reasons

    def offer(self, patient_id: int, kind: str, score: float, reason: str) -> None:
        extras = self.extra.setdefault(patient_id, {})
        if score > extras.get(kind, (0.0, ""))[0]:
            extras[kind] = (score, reason)

    def patient_ids(self) -> set[int]:
        return set(self.name_score) | set(self.extra)

    def total(self, patient_id: int) -> tuple[float, list[str]]:
        score = self.name_score.get(patient_id, 0.0)
        reasons = list(self.name_reasons.get(patient_id, []))
        for points, reason in self.extra.get(patient_id, {}).values():
            score += points
            reasons.append(reason)
        return score, reasons


def _name_use_note(row: tuple[Any, ...]) -> tuple[float, list[str]]:
    if row[1] == NameUse.OFFICIAL:
        return 0.0, []
    return -3.0, [f"by {NameUse(row[1]).label.lower()} {row[3]} {row[2]}".replace("  ", " ")]


def _interpretations(query: ParsedQuery) -> list[tuple[str, str]]:
    """(family, given) readings of the name tokens; '' where that part was not typed."""
    tokens = query.name_tokens
    if not tokens:
        return []
    comma_at = query.family_token_count
    if query.family_first and comma_at:
        family = "".join(tokens[:comma_at])
        given = tokens[comma_at] if comma_at < len(tokens) else ""
        return [(family, given)]
    if len(tokens) == 1:
        return [(tokens[0], ""), ("", tokens[0])]
    readings = [(tokens[-1], tokens[0]), (tokens[0], tokens[1])]
    if len(tokens) > 2:
        readings.append(("".join(tokens[1:]), tokens[0]))
    return list(dict.fromkeys(readings))


def _score_names(board: _Board, query: ParsedQuery) -> None:
    for family_text, given_text in _interpretations(query):
        family = TypedName.of(family_text) if family_text else None
        given = TypedName.of(given_text) if given_text else None
        if family and given:
            # Driven by the family name (its keys are selective), then by the given name for family
            # names mistyped past what prefix, phonetic and letter keys catch (keeping the first letter).
            rows = family_rows(family, _plausible_given(given))
            rows += name_rows(_given_with_family_initial(given, family))
            for row in rows:
                family_points, family_reason = family_similarity(family, row)
                if not family_points:
                    continue
                given_points, given_reason = given_similarity(given, row)
                if given_points:
                    penalty, notes = _name_use_note(row)
                    board.offer_name(row[0], family_points + given_points + penalty,
                                     [family_reason, given_reason, *notes])
        elif family:
            for row in family_rows(family):
                points, reason = family_similarity(family, row)
                if points:
                    penalty, notes = _name_use_note(row)
                    board.offer_name(row[0], points + penalty, [reason, *notes])
        elif given:
            for row in given_rows(given):
                points, reason = given_similarity(given, row)
                if points:
                    penalty, notes = _name_use_note(row)
                    board.offer_name(row[0], points + penalty, [reason, *notes])


def _score_numbers(board: _Board, query: ParsedQuery) -> None:
    if query.mrns:
        for patient_id, mrn in Patient.objects.filter(mrn__in=query.mrns).values_list("pk", "mrn"):
            board.offer(patient_id, "mrn", 100.0, f"MRN {mrn}")
    if query.identifier_keys:
        # A retired MRN retracted by an unmerge belongs to its own chart again, not to the survivor.
        identifiers = PatientIdentifier.objects.filter(value_key__in=query.identifier_keys).exclude(
            type=IdentifierType.RETIRED_MRN, active=False
        ).values_list("patient_id", "type", "value", "active")
        for patient_id, kind, value, active in identifiers[:ROW_CAP]:
            label = IdentifierType(kind).label if kind in IdentifierType.values else kind
            board.offer(patient_id, "identifier", 90.0 if active else 80.0,
                        f"{label} {value}" + ("" if active else " (no longer in use)"))
    if query.phones:
        phones = PatientPhone.objects.filter(number__in=query.phones).values_list("patient_id", "number", "active")
        for patient_id, number, active in phones[:ROW_CAP]:
            shown = f"({number[:3]}) {number[3:6]}-{number[6:]}"
            board.offer(patient_id, "phone", 50.0 if active else 40.0,
                        f"phone {shown}" + ("" if active else " (former number)"))


def _score_dates(board: _Board, query: ParsedQuery) -> None:
    if not query.dates:
        return
    readings = dict(query.dates)  # date -> typed swapped?
    born_on: dict[int, date] = dict(
        Patient.objects.filter(birth_date__in=list(readings)).values_list("pk", "birth_date")[:ROW_CAP]
    )
    # Patients found by name whose birth date is one the query can mean, beyond the capped lookup
    # above ("smith 03/15/1980" must lift that Smith even when hundreds share the date).
    named = sorted(board.named - set(born_on))
    for start in range(0, len(named), 500):
        born_on.update(Patient.objects.filter(pk__in=named[start:start + 500], birth_date__in=list(readings))
                       .values_list("pk", "birth_date"))
    for patient_id, born in born_on.items():
        swapped = readings[born]
        board.offer(patient_id, "birth_date", 25.0 if swapped else 35.0,
                    "date of birth with day and month swapped" if swapped else "date of birth")


def _survivors(patients: dict[int, Patient]) -> dict[int, Patient]:
    """Map merged records to the record they were merged into (following chains of merges)."""
    pending = {p.merged_into_id for p in patients.values() if p.status == "merged" and p.merged_into_id}
    for _ in range(5):
        pending -= set(patients)
        if not pending:
            break
        found = Patient.objects.in_bulk(pending)
        patients.update(found)
        pending = {p.merged_into_id for p in found.values() if p.status == "merged" and p.merged_into_id}
    resolved: dict[int, Patient] = {}
    for pk, patient in patients.items():
        seen = 0
        while patient.status == "merged" and patient.merged_into_id in patients and seen < 5:
            patient = patients[patient.merged_into_id]
            seen += 1
        resolved[pk] = patient
    return resolved


def rank_candidates(query: ParsedQuery, *, limit: int) -> list[SearchHit]:
    board = _Board()
    _score_names(board, query)
    _score_numbers(board, query)
    _score_dates(board, query)
    scored = sorted(((*board.total(pk), pk) for pk in board.patient_ids()), key=lambda item: (-item[0], item[2]))
    top = scored[: limit * 2]
    patients = _survivors(Patient.objects.in_bulk([pk for _, _, pk in top]))
    hits: dict[int, SearchHit] = {}
    for score, reasons, pk in top:
        patient = patients.get(pk)
        if patient is None or patient.status == "merged":
            continue
        if patient.pk != pk:
            reasons = [*reasons, "found under a record merged into this one"]
        if patient.pk not in hits:
            hits[patient.pk] = SearchHit(patient=patient, score=round(score, 1), reasons=_unique(reasons))
    return list(hits.values())[:limit]


def _unique(items: Iterable[str]) -> list[str]:
    return [item for item in dict.fromkeys(items) if item]


def search_patients(user: Any, query: str, *, limit: int = 25) -> list[SearchHit]:
    """The patients `query` most likely means, best first; one SEARCH audit event per search.

    Restricted patients are listed (their charts stay closed); merged records lead to their survivor.
    """
    if not user.is_authenticated or not user.has_perm("patients.search_patients"):
        raise PermissionRefused("You do not have the permission to search the patient index.")
    parsed = parse_query(query.strip())
    if parsed.is_empty:
        return []
    hits = rank_candidates(parsed, limit=limit)
    record_event(AuditAction.SEARCH, user=user, object_type="patient_search",
                 detail={"query": parsed.text, "results": len(hits)})
    return hits
