"""Single-record matching on the trained duplicate model: is the person being registered (at the
desk, through the FHIR API, by HL7 intake or FHIR import) already in the index?

One model for both questions. The whole-index scan (patients.duplicates) scores pairs with Splink
on DuckDB; a registration is one record against a few dozen charts, so starting a DuckDB linker per
request would cost more than the matching. Here:

1. candidates come from indexed queries in the database (patients.matching.candidate_ids: the
   model's blocking rules where the index has a column for them: SSN, name, birth date, family
   sound-alike and birth year, phone, given and family swapped);
2. each candidate chart is read as the scan reads it (duplicates.link_records) and compared with
   the model's own comparison levels, evaluated in Python from their SQL conditions (tests prove
   the levels agree with Splink's on a set of pairs), weighted with the model's m and u and its
   term frequencies, as Splink computes match weights;
3. the household rule layer (linkage.household_flags) keeps twins, Jr/Sr and spouses out of the
   "match" band, as in the scan.

The model is the one `chartdesk patients duplicates train` wrote for this site, else the shipped
one; it is re-read when the file changes, so retraining takes effect without a restart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from chartdesk.core.crypto import keyed_digest
from chartdesk.patients.linkage import (
    FIELD_LABELS,
    MATCH_FROM,
    REVIEW_FROM,
    SWAPPED,
    TERM_FREQUENCIES,
    TF_FLOOR_RECORDS,
    FieldEvidence,
    LinkRecord,
    active_model_path,
    household_flags,
    load_model,
)
from chartdesk.patients.models import Patient
from chartdesk.patients.schemas import PatientRegistration
from chartdesk.patients.validation import InvalidField, clean_ssn, clean_us_phone

Row = dict[str, Any]
Test = Callable[[Row, Row], bool]

_COLUMN = r'"?(\w+)_l"?'
_EQUAL = re.compile(rf'^{_COLUMN} = "?\1_r"?$')
_NULL = re.compile(rf'^{_COLUMN} IS NULL OR "?\1_r"? IS NULL$')
_JARO_WINKLER = re.compile(rf'^jaro_winkler_similarity\({_COLUMN}, "?\1_r"?\) >= ([\d.]+)$')
_DAMERAU = re.compile(rf'^damerau_levenshtein\({_COLUMN}, "?\1_r"?\) <= (\d+)$')
_INTERSECT = re.compile(rf'^array_length\(list_intersect\({_COLUMN}, "?\1_r"?\)\) >= 1$')
_TRANSPOSED = ("substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4) AND "
               "substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2) AND "
               "substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)")


def _swapped(left: Row, right: Row) -> bool:
    return bool(left["given_key"] and left["family_key"] and left["given_key"] == right["family_key"]
                and left["family_key"] == right["given_key"])


def _transposed(left: Row, right: Row) -> bool:
    a, b = left["birth_date"], right["birth_date"]
    return bool(a and b and len(a) == len(b) == 10 and a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7])


# Levels written as custom SQL in linkage._settings, by their exact text.
CUSTOM: dict[str, Test] = {SWAPPED: _swapped, _TRANSPOSED: _transposed}


def level_test(sql: str) -> Test:
    """A Python test equal to one comparison level's SQL condition (NULL compares as false, as in SQL).
    A condition it does not know is refused: the model and this module must change together."""
    sql = " ".join(sql.split())
    if sql in CUSTOM:
        return CUSTOM[sql]
    if sql == "ELSE":
        return lambda left, right: True
    if found := _NULL.match(sql):
        name = found[1]
        return lambda left, right: left[name] is None or right[name] is None
    if found := _EQUAL.match(sql):
        name = found[1]
        return lambda left, right: left[name] is not None and left[name] == right[name]
    if found := _JARO_WINKLER.match(sql):
        name, floor = found[1], float(found[2])
        return lambda left, right: (left[name] is not None and right[name] is not None
                                    and JaroWinkler.similarity(left[name], right[name]) >= floor)
    if found := _DAMERAU.match(sql):
        name, most = found[1], int(found[2])
        return lambda left, right: (left[name] is not None and right[name] is not None
                                    and DamerauLevenshtein.distance(left[name], right[name]) <= most)
    if found := _INTERSECT.match(sql):
        name = found[1]
        return lambda left, right: bool(left[name] and right[name] and set(left[name]) & set(right[name]))
    raise ValueError(f"The duplicate model has a comparison level single-record matching cannot evaluate: {sql}")


@dataclass(frozen=True)
class _Level:
    label: str
    test: Test
    is_null: bool
    log2_bayes: float  # log2(m/u); 0 for the null level
    tf_column: str  # the column whose term frequency adjusts this level ("" for none)
    u_exact: float  # u of the comparison's exact level, which a term-frequency adjustment divides


@dataclass(frozen=True)
class _Comparison:
    name: str
    levels: tuple[_Level, ...]

    def vector_value(self, level: _Level) -> int:
        """The level's number as Splink's gamma column has it (-1 null, then highest for the best)."""
        if level.is_null:
            return -1
        non_null = [each for each in self.levels if not each.is_null]
        return len(non_null) - 1 - non_null.index(level)


@dataclass(frozen=True)
class CompiledModel:
    prior_weight: float  # log2 of the prior odds that two records are one person
    comparisons: tuple[_Comparison, ...]
    frequencies: dict[str, dict[str, float]]
    frequency_floor: float  # a value not listed in the model was seen once

    def frequency(self, column: str, value: str) -> float:
        return self.frequencies.get(column, {}).get(value, self.frequency_floor)


def _probabilities(raw: list[dict[str, Any]]) -> list[tuple[float | None, float | None]]:
    """(m, u) of each level as Splink's prediction reads them: a level training never saw is 1e-6,
    an untrained one takes Splink's default for its position (null levels: None)."""
    from splink.internals.comparison_level import _default_m_values, _default_u_values
    from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT

    count = sum(1 for level in raw if not level.get("is_null_level"))
    default_m, default_u = _default_m_values(count), _default_u_values(count)
    found: list[tuple[float | None, float | None]] = []
    position = count - 1
    for level in raw:
        if level.get("is_null_level"):
            found.append((None, None))
            continue
        pair = []
        for key, default in (("m_probability", default_m), ("u_probability", default_u)):
            value = level.get(key)
            pair.append(1e-6 if value == LEVEL_NOT_OBSERVED_TEXT else default[position] if value is None else value)
        found.append((pair[0], pair[1]))
        position -= 1
    return found


def compile_model(model: dict[str, Any]) -> CompiledModel:
    comparisons = []
    for comparison in model["comparisons"]:
        raw = comparison["comparison_levels"]
        probabilities = _probabilities(raw)
        u_exact = next((u for level, (_, u) in zip(raw, probabilities, strict=True)
                        if level.get("tf_adjustment_column")), None) or 1.0
        levels = []
        for level, (m, u) in zip(raw, probabilities, strict=True):
            is_null = bool(level.get("is_null_level"))
            levels.append(_Level(
                label="unknown" if is_null else level.get("label_for_charts", ""),
                test=level_test(level["sql_condition"]),
                is_null=is_null, log2_bayes=0.0 if is_null or not m or not u else math.log2(m / u),
                tf_column=level.get("tf_adjustment_column", "") if level.get("tf_adjustment_weight", 1.0) else "",
                u_exact=u_exact))
        comparisons.append(_Comparison(name=comparison["output_column_name"], levels=tuple(levels)))
    prior = model["probability_two_random_records_match"]
    tables = model.get(TERM_FREQUENCIES, {})
    records = tables.get("records", TF_FLOOR_RECORDS)
    return CompiledModel(
        prior_weight=math.log2(prior / (1 - prior)), comparisons=tuple(comparisons),
        frequencies={column: values for column, values in tables.items() if isinstance(values, dict)},
        frequency_floor=1 / records)


def compare(model: CompiledModel, left: Row, right: Row) -> tuple[dict[str, tuple[str, float]], float]:
    """Each comparison's (level label, weight) for this pair, and the pair's match weight (log2
    odds), as Splink computes them: the level's log2(m/u), and on a term-frequency level the log2 of
    u of the exact level over the value's frequency (the larger of the two sides')."""
    levels: dict[str, tuple[str, float]] = {}
    total = model.prior_weight
    for comparison in model.comparisons:
        level = next(each for each in comparison.levels if each.test(left, right))
        weight = level.log2_bayes
        if level.tf_column and left[level.tf_column] is not None:
            frequency = max(model.frequency(level.tf_column, left[level.tf_column]),
                            model.frequency(level.tf_column, right[level.tf_column] or ""))
            weight += math.log2(level.u_exact / frequency)
        levels[comparison.name] = (level.label, weight)
        total += weight
    return levels, total


_compiled: dict[tuple[Path, int], CompiledModel] = {}


def current_model() -> CompiledModel:
    """The active model, compiled once per version of its file."""
    path = active_model_path()
    key = (path, path.stat().st_mtime_ns)
    if key not in _compiled:
        _compiled.clear()
        _compiled[key] = compile_model(load_model(path))
    return _compiled[key]


@dataclass
class Candidate:
    """A chart that may be the person being registered, as the trained model sees the pair."""

    patient: Patient
    probability: float
    match_weight: float
    band: str  # "match" (the same person; feeds link to it) or "review" (a person decides)
    evidence: list[FieldEvidence] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # household rule layer: why not "match"

    @property
    def score(self) -> float:
        return round(self.match_weight, 1)

    @property
    def likelihood(self) -> str:
        if self.band == "match":
            return "very likely the same person"
        if self.probability >= 0.9:
            return "likely the same person"
        return "possibly the same person"

    @property
    def reasons(self) -> list[str]:
        """What agrees, in the desk's words ("Family name: exact"), then the household signs."""
        agreeing = [f"{FIELD_LABELS.get(item.field, item.field)}: {item.level}"
                    for item in self.evidence if item.weight > 0]
        return agreeing + self.flags


def registration_record(registration: PatientRegistration) -> LinkRecord:
    """The person at the desk (or in a message) as the model sees a chart."""
    ssn_key = ssn_last4 = ""
    if registration.ssn.strip():
        try:
            digits = clean_ssn(registration.ssn)
            ssn_key, ssn_last4 = keyed_digest(digits), digits[-4:]
        except InvalidField:
            pass  # a malformed SSN is refused by registration itself; here it is no evidence
    phone = ""
    for _, number in registration.phones:
        try:
            phone = clean_us_phone(number)
            break
        except InvalidField:
            continue
    address = registration.addresses[0] if registration.addresses else None
    born = registration.birth_date
    return LinkRecord(unique_id="registration", given_name=registration.given_name,
                      family_name=registration.family_name, suffix=registration.suffix,
                      birth_date=born.isoformat() if born else "", sex=registration.sex,
                      address=address.line1 if address else "", postal_code=address.postal_code if address else "",
                      phone=phone, ssn_key=ssn_key, ssn_last4=ssn_last4)


def _pair_row(left: Row, right: Row) -> Row:
    return {"suffix_l": left["suffix"], "suffix_r": right["suffix"]}


def score_records(model: CompiledModel, person: LinkRecord, charts: list[LinkRecord], *,
                  review_from: float = REVIEW_FROM) -> list[tuple[str, float, float, str, list[FieldEvidence],
                                                                     list[str]]]:
    """(unique_id, probability, match weight, band, evidence, flags) of each chart at or above
    `review_from`, likeliest first. No database: the benchmark scores FEBRL records with it."""
    left = person.row()
    scored = []
    for chart in charts:
        right = chart.row()
        levels, weight = compare(model, left, right)
        probability = 2 ** weight / (1 + 2 ** weight) if weight < 1000 else 1.0
        if probability < review_from:
            continue
        flags = household_flags(_pair_row(left, right), {name: label for name, (label, _) in levels.items()})
        band = "match" if probability >= MATCH_FROM and not flags else "review"
        evidence = [FieldEvidence(field=name, level=label, weight=round(weight, 2))
                    for name, (label, weight) in levels.items()]
        scored.append((chart.unique_id, probability, weight, band, evidence, flags))
    scored.sort(key=lambda item: (-item[1], int(item[0]) if item[0].isdecimal() else item[0]))
    return scored


def match_record(registration: PatientRegistration, *, limit: int = 10) -> list[Candidate]:
    """Active charts that may be the person being registered, likeliest first, at least in the
    review band. Merged records are left out: their survivor is found on its own evidence."""
    from chartdesk.patients.duplicates import link_records
    from chartdesk.patients.matching import candidate_ids

    person = registration_record(registration)
    ids = candidate_ids(registration, ssn_digest=person.ssn_key, phone=person.phone)
    if not ids:
        return []
    scored = score_records(current_model(), person, link_records(ids))[:limit]
    patients = Patient.objects.in_bulk([int(unique_id) for unique_id, *_ in scored])
    return [Candidate(patient=patients[int(unique_id)], probability=probability, match_weight=weight, band=band,
                      evidence=evidence, flags=flags)
            for unique_id, probability, weight, band, evidence, flags in scored]


def match_fingerprint(candidates: list[Candidate]) -> str:
    """Which candidates a registrar was shown, so a confirmation covers exactly those."""
    return ",".join(str(candidate.patient.pk) for candidate in sorted(candidates, key=lambda c: c.patient.pk))


def describe(candidate: Candidate) -> dict[str, Any]:
    return {"patient_id": candidate.patient.pk, "mrn": candidate.patient.mrn, "score": candidate.score,
            "probability": round(candidate.probability, 6), "band": candidate.band, "reasons": candidate.reasons}
