"""The whole-index duplicate model: Splink (Fellegi-Sunter on DuckDB) over plain patient records.

Nothing here reads the database: `patients.duplicates` turns the index into `LinkRecord`s, the
benchmark turns FEBRL files into the same records, and both score them with this module.

The model (`data/mpi_model.json`) holds the comparisons, the blocking rules and the m and u
probabilities: u from random pairs, m by expectation maximisation (no labelled pairs are used),
and term-frequency adjustments so that two "Smith"s weigh less than two "Przybylski"s.
`chartdesk patients duplicates train` re-estimates it on the index (docs/patients-merge.md).

Splink scores people; households (twins, Jr/Sr, spouses, a parent and child at one address) look
alike to it, because they share a family name, an address, a phone and sometimes a birth date.
`household_flags` is the rule layer over the model: a pair with a given name that is neither the
same, a typo, a sound-alike nor a nickname of the other, different suffixes, different sexes or
different SSNs is never in the "match" band, only in "review".
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chartdesk.patients.names import name_tokens, nickname_family, normalise_name, phonetic_key

MODEL_PATH = Path(__file__).resolve().parent / "data" / "mpi_model.json"  # shipped; the site's: settings.MPI_MODEL_PATH
TERM_FREQUENCIES = "chartdesk_term_frequencies"  # our key in the model JSON; Splink's settings never see it
TF_KEPT_FROM = 2  # values seen at least this often are written to the model; rarer ones count as seen once
MATCH_FROM = 0.99  # probability from which an unflagged pair is in the "match" band
REVIEW_FROM = 0.5  # below this a pair is not a candidate at all
SWAPPED = "given_key_l = family_key_r AND family_key_l = given_key_r"
SEED = 2  # u from random sampling: a fixed seed, so retraining the same index gives the same model

COLUMNS = ("unique_id", "given_key", "family_key", "given_phonetic", "family_phonetic", "given_nicknames",
           "family_parts", "suffix", "birth_date", "sex", "address", "postal_code", "phone", "ssn_key",
           "ssn_last4")
# Comparison name -> what the desk calls it.
FIELD_LABELS = {"given_name": "Given name", "family_name": "Family name", "birth_date": "Date of birth",
                "sex": "Sex", "address": "Address", "phone": "Phone", "ssn": "SSN"}
# Given-name levels that say "the same given name" (exact, typo, nickname, sound-alike, swapped).
SAME_GIVEN_LEVELS = frozenset({"exact", "typo", "nickname", "sounds alike", "given and family swapped"})


@dataclass(frozen=True)
class LinkRecord:
    """One patient as the model sees it. Empty strings are unknown values."""

    unique_id: str
    given_name: str
    family_name: str
    birth_date: str = ""  # ISO, YYYY-MM-DD
    sex: str = ""  # F or M; anything else is unknown
    suffix: str = ""
    address: str = ""  # first address line
    postal_code: str = ""
    phone: str = ""  # digits
    ssn_key: str = ""  # a keyed digest of the SSN (the index never holds it in clear)
    ssn_last4: str = ""

    def row(self) -> dict[str, Any]:
        """The model's columns of this one record, computed as `_frame` computes them for many
        (single-record matching compares a registration with a few charts without pandas)."""
        given_key, given_phonetic, given_nicknames, _ = _name_keys(self.given_name)
        family_key, family_phonetic, _, family_parts = _name_keys(self.family_name)
        return {
            "unique_id": self.unique_id,
            "given_key": given_key, "family_key": family_key,
            "given_phonetic": given_phonetic, "family_phonetic": family_phonetic,
            "given_nicknames": given_nicknames, "family_parts": family_parts,
            "suffix": normalise_name(self.suffix) or None,
            "birth_date": self.birth_date or None,
            "sex": self.sex if self.sex in ("F", "M") else None,
            "address": _address_key(self.address),
            "postal_code": self.postal_code[:5] or None,
            "phone": self.phone or None,
            "ssn_key": self.ssn_key or None,
            "ssn_last4": self.ssn_last4 or None,
        }


@dataclass
class FieldEvidence:
    field: str  # comparison name, as FIELD_LABELS
    level: str  # the comparison level's label ("exact", "nickname", "different", "unknown")
    weight: float  # log2 Bayes factor this level added (0 for an unknown value)


@dataclass
class ScoredPair:
    left: str  # unique_id, the smaller of the two as text
    right: str
    probability: float
    match_weight: float
    band: str  # "match" or "review"
    evidence: list[FieldEvidence] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # household rule layer: why not "match"


# Levels a training set may never show (FEBRL has no nicknames, swapped days and months or compound
# names; a small index may have none either): EM cannot estimate their m, so it is fixed at a
# prior, a few percent of true pairs as in the registration matcher (patients.matching); u is
# still estimated from random pairs. Sex and phone start from the same priors as that matcher and
# are re-estimated where the training data has them.
RARE: dict[str, Any] = {"m_probability": 0.03, "fix_m_probability": True}


def _settings(blocking_rules: list[Any] | None = None) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator

    def name_levels(key: str) -> list[Any]:
        return [
            cll.NullLevel(key),
            cll.ExactMatchLevel(key, term_frequency_adjustments=True).configure(label_for_charts="exact"),
            cll.JaroWinklerLevel(key, 0.92).configure(label_for_charts="typo"),
        ]

    given = cl.CustomComparison(output_column_name="given_name", comparison_levels=[
        *name_levels("given_key"),
        cll.ArrayIntersectLevel("given_nicknames", 1).configure(label_for_charts="nickname", **RARE),
        cll.ExactMatchLevel("given_phonetic").configure(label_for_charts="sounds alike"),
        cll.CustomLevel(SWAPPED,
                        label_for_charts="given and family swapped"),
        cll.JaroWinklerLevel("given_key", 0.8).configure(label_for_charts="similar"),
        cll.ElseLevel().configure(label_for_charts="different"),
    ])
    family = cl.CustomComparison(output_column_name="family_name", comparison_levels=[
        *name_levels("family_key"),
        cll.ArrayIntersectLevel("family_parts", 1).configure(label_for_charts="shares a part (compound name)",
                                                             **RARE),
        cll.ExactMatchLevel("family_phonetic").configure(label_for_charts="sounds alike"),
        cll.CustomLevel(SWAPPED,
                        label_for_charts="given and family swapped"),
        cll.JaroWinklerLevel("family_key", 0.8).configure(label_for_charts="similar"),
        cll.ElseLevel().configure(label_for_charts="different"),
    ])
    # Comparison levels name the two records' columns with _l and _r suffixes.
    transposed = ("substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4) AND "
                  "substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2) AND "
                  "substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)")
    birth = cl.CustomComparison(output_column_name="birth_date", comparison_levels=[
        cll.NullLevel("birth_date"),
        cll.ExactMatchLevel("birth_date").configure(label_for_charts="exact"),
        cll.CustomLevel(transposed, label_for_charts="day and month swapped").configure(**RARE),
        cll.DamerauLevenshteinLevel("birth_date", 1).configure(label_for_charts="one digit off"),
        cll.DamerauLevenshteinLevel("birth_date", 2).configure(label_for_charts="two digits off"),
        cll.ElseLevel().configure(label_for_charts="different"),
    ])
    sex = cl.CustomComparison(output_column_name="sex", comparison_levels=[
        cll.NullLevel("sex"),
        cll.ExactMatchLevel("sex").configure(label_for_charts="exact", m_probability=0.98, u_probability=0.5),
        cll.ElseLevel().configure(label_for_charts="different", m_probability=0.02, u_probability=0.5),
    ])
    address = cl.CustomComparison(output_column_name="address", comparison_levels=[
        cll.NullLevel("address"),
        cll.ExactMatchLevel("address", term_frequency_adjustments=True).configure(label_for_charts="exact"),
        cll.JaroWinklerLevel("address", 0.9).configure(label_for_charts="typo"),
        cll.ExactMatchLevel("postal_code").configure(label_for_charts="same postal code"),
        cll.ElseLevel().configure(label_for_charts="different"),
    ])
    phone = cl.CustomComparison(output_column_name="phone", comparison_levels=[
        cll.NullLevel("phone"),
        cll.ExactMatchLevel("phone").configure(label_for_charts="exact", m_probability=0.6, u_probability=0.0001),
        cll.DamerauLevenshteinLevel("phone", 1).configure(label_for_charts="one digit off", m_probability=0.05,
                                                          u_probability=0.001),
        cll.ElseLevel().configure(label_for_charts="different", m_probability=0.35, u_probability=0.9989),
    ])
    ssn = cl.CustomComparison(output_column_name="ssn", comparison_levels=[
        cll.NullLevel("ssn_key"),
        cll.ExactMatchLevel("ssn_key").configure(label_for_charts="exact"),
        cll.ExactMatchLevel("ssn_last4").configure(label_for_charts="same last four digits"),
        cll.ElseLevel().configure(label_for_charts="different"),
    ])
    if blocking_rules is None:
        blocking_rules = prediction_blocking_rules()
    return SettingsCreator(
        unique_id_column_name="unique_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[given, family, birth, sex, address, phone, ssn],
        additional_columns_to_retain=["suffix"],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
    )


def prediction_blocking_rules() -> list[Any]:
    """Which pairs are scored at all. Chosen by measurement on a synthetic index with planted
    duplicates and households (`python -m bench._mpi_blocking`, docs/patients-merge.md): a rule on
    a single common value (the birth date alone, the family name's sound and a birth year, the
    swapped names alone) makes blocks that grow with the index, so that pairs grow with its square
    (41 million at 1,000,000 charts); each such rule is narrowed by a second key, which keeps the
    duplicates they found (other rules catch the rest) at a quarter of the pairs."""
    from splink import block_on

    swapped = "l.given_key = r.family_key AND l.family_key = r.given_key"
    return [
        block_on("ssn_key"),
        block_on("given_key", "family_key"),
        block_on("birth_date", "given_phonetic"),
        block_on("birth_date", "family_phonetic"),
        block_on("birth_date", "postal_code"),
        block_on("family_phonetic", "substr(birth_date, 1, 7)"),
        block_on("given_phonetic", "postal_code"),
        block_on("phone"),
        block_on("address"),
        f"{swapped} AND substr(l.birth_date, 1, 4) = substr(r.birth_date, 1, 4)",
    ]


def _db_api() -> Any:
    import duckdb
    from splink import DuckDBAPI

    connection = duckdb.connect()
    connection.execute("SET threads = 2")
    return DuckDBAPI(connection=connection)


RECORD_FIELDS = tuple(LinkRecord.__dataclass_fields__)


def _name_keys(name: str) -> tuple[Any, ...]:
    """(key, phonetic, nicknames, parts) of one name, None for what is unknown."""
    key = normalise_name(name)
    return (key or None, phonetic_key(key) or None, sorted(nickname_family(key)) or None,
            name_tokens(name) or None)


def _address_key(line: str) -> Any:
    return (" ".join(name_tokens(line)) + " " + "".join(ch for ch in line if ch.isdecimal())).strip() or None


def _by_value(column: Any, compute: Any) -> Any:
    """`compute` of each distinct value once, mapped back onto the column: a million charts hold
    a few thousand given names and family names, so the name keys cost little at any size."""
    distinct = column.drop_duplicates()
    return column.map(dict(zip(distinct, map(compute, distinct), strict=True)))


def _known(column: Any) -> Any:
    """Empty strings as None: Splink's null level is for unknown values."""
    return column.where(column != "", None)


# LinkRecords, or a pandas frame with LinkRecord's fields as columns (a million charts as
# dataclasses cost more than scoring them).
Records = Sequence[LinkRecord] | Any


def _frame(records: Records) -> Any:
    """The model's columns (COLUMNS) of LinkRecords, or of a frame with LinkRecord's fields as
    columns (empty strings unknown), as `patients.duplicates.index_records` reads the index."""
    import pandas as pd

    raw = records if isinstance(records, pd.DataFrame) else pd.DataFrame(
        [[getattr(record, name) for name in RECORD_FIELDS] for record in records], columns=list(RECORD_FIELDS))
    raw = raw.fillna("")
    frame = pd.DataFrame({"unique_id": raw["unique_id"].astype(str)})
    for side in ("given", "family"):
        keys = _by_value(raw[f"{side}_name"].astype(str), _name_keys)
        frame[f"{side}_key"] = keys.str[0]
        frame[f"{side}_phonetic"] = keys.str[1]
        if side == "given":
            # The name with its nicknames one step each way ("bill" ~ "william" ~ "billy"): two names
            # whose sets meet are nicknames of each other (exact agreement is an earlier level).
            frame["given_nicknames"] = keys.str[2]
        else:
            # Hyphenated and compound family names: "Garcia-Lopez" shares a part with "Garcia".
            frame["family_parts"] = keys.str[3]
    frame["suffix"] = _by_value(raw["suffix"].astype(str), lambda text: normalise_name(text) or None)
    frame["birth_date"] = _known(raw["birth_date"].astype(str))
    frame["sex"] = raw["sex"].where(raw["sex"].isin(["F", "M"]), None)
    frame["address"] = _by_value(raw["address"].astype(str), _address_key)
    frame["postal_code"] = _known(raw["postal_code"].astype(str).str[:5])
    for column in ("phone", "ssn_key", "ssn_last4"):
        frame[column] = _known(raw[column].astype(str))
    return frame[list(COLUMNS)]


TF_COLUMNS = ("given_key", "family_key", "address")
# Term frequencies from a small index are all large ("Vera" is half of a two-chart index), which
# would make every agreement on a name count against a match. Below this many records a value's
# frequency is taken as its count out of this many, as if the rest of the index were other names.
TF_FLOOR_RECORDS = 10_000


def _register_term_frequencies(linker: Any, frame: Any) -> None:
    import pandas as pd

    total = max(len(frame), TF_FLOOR_RECORDS)
    for column in TF_COLUMNS:
        counts = frame[column].dropna().value_counts()
        lookup = pd.DataFrame({column: counts.index, f"tf_{column}": counts.to_numpy() / total})
        linker.table_management.register_term_frequency_lookup(lookup, column, overwrite=True)


def _linker(frame: Any, settings: Any) -> Any:
    from splink import Linker

    linker = Linker(frame, settings, _db_api())
    _register_term_frequencies(linker, frame)
    return linker


def _quiet() -> None:
    # Splink logs every training step at INFO; a command's output is its own.
    logging.getLogger("splink").setLevel(logging.WARNING)


def train(records: Records) -> dict[str, Any]:
    """Estimate the model on these records without labels; returns the model as a JSON-able dict."""
    from splink import block_on
    from splink.internals.exceptions import SplinkException  # Splink 4 exports no public exception module

    _quiet()
    if len(records) < 10:
        raise ValueError(f"Training needs at least 10 records; the index has {len(records)}.")
    try:
        model = _train(_linker(_frame(records), _settings()), block_on)
    except SplinkException as failed:
        # EM needs pairs that agree on the blocking fields; a small or very clean index has too few.
        raise ValueError(f"The index is too small or has too few likely pairs to estimate the model from "
                         f"({len(records)} records): keep the shipped model. Splink said: "
                         f"{str(failed).splitlines()[0]}") from None
    prior = model["probability_two_random_records_match"]
    if not 0 < prior < 1:
        # No pair agreed on SSN or on full name and birth date: such a model would call every pair
        # impossible (or certain). Refused, like too small an index.
        raise ValueError(f"The index has too few likely pairs to estimate the model from ({len(records)} records: "
                         "none agree on SSN or on full name and birth date): keep the shipped model.")
    model[TERM_FREQUENCIES] = term_frequencies(records)
    return model


def _train(linker: Any, block_on: Any) -> dict[str, Any]:
    deterministic: list[Any] = [block_on("ssn_key"), block_on("given_key", "family_key", "birth_date"),
                     "l.given_key = r.family_key AND l.family_key = r.given_key AND l.birth_date = r.birth_date"]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=SEED)
    # Each EM pass cannot estimate the fields it blocks on; two passes cover every comparison.
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_key", "family_key"))
    model: dict[str, Any] = linker.misc.save_model_to_json()
    return model


def term_frequencies(records: Records) -> dict[str, Any]:
    """The term-frequency tables the scan computes from the index, kept in the model so that
    single-record matching (patients.linkage_match) weighs "Smith" as the scan does without
    counting the index per request. Values seen once are left out: they weigh as 1 / records."""
    frame = _frame(records)
    total = max(len(frame), TF_FLOOR_RECORDS)
    tables: dict[str, Any] = {"records": total}
    for column in TF_COLUMNS:
        counts = frame[column].dropna().value_counts()
        tables[column] = {str(value): round(int(count) / total, 10)
                          for value, count in counts.items() if count >= TF_KEPT_FROM}
    return tables


def active_model_path() -> Path:
    """The site's model once `duplicates train` has written it (settings.MPI_MODEL_PATH), else the
    shipped one: the scan and single-record matching always read the same file."""
    from django.conf import settings

    site = Path(settings.MPI_MODEL_PATH)
    return site if site.is_file() else MODEL_PATH


def load_model(path: Path | None = None) -> dict[str, Any]:
    model: dict[str, Any] = json.loads((path or active_model_path()).read_text(encoding="utf-8"))
    return model


def splink_settings(model: dict[str, Any]) -> dict[str, Any]:
    """The model as Splink reads it: without the term-frequency tables kept for single-record matching."""
    return {key: value for key, value in model.items() if key != TERM_FREQUENCIES}


def save_model(model: dict[str, Any], path: Path = MODEL_PATH) -> None:
    path.write_text(json.dumps(model, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _level_labels(model: dict[str, Any]) -> dict[str, dict[int, str]]:
    """Comparison name -> {comparison vector value: level label}, as Splink numbers them."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        non_null = [level for level in levels if not level.get("is_null_level")]
        by_value = {-1: "unknown"}
        for position, level in enumerate(non_null):
            by_value[len(non_null) - 1 - position] = level.get("label_for_charts", "")
        labels[comparison["output_column_name"]] = by_value
    return labels


def household_flags(row: dict[str, Any], levels: dict[str, str]) -> list[str]:
    """Why a pair may be two people of one household, not one person (empty: no reason)."""
    flags = []
    shares_home = levels["family_name"] in ("exact", "typo") or levels["address"] in ("exact", "typo") or (
        levels["phone"] == "exact")
    if levels["given_name"] not in SAME_GIVEN_LEVELS and levels["given_name"] != "unknown" and shares_home:
        if levels["birth_date"] == "exact":
            flags.append("different given names, same birth date and family: twins?")
        else:
            flags.append("different given names in one family or household")
    left_suffix, right_suffix = row.get("suffix_l"), row.get("suffix_r")
    if left_suffix and right_suffix and left_suffix != right_suffix:
        flags.append(f"different suffixes ({left_suffix.upper()} and {right_suffix.upper()})")
    elif bool(left_suffix) != bool(right_suffix) and levels["birth_date"] != "exact":
        flags.append("one has a suffix (Jr/Sr), birth dates differ")
    if levels["sex"] == "different":
        flags.append("different sexes")
    if levels["ssn"] in ("different", "same last four digits"):
        flags.append("different SSNs")
    return flags


def score(records: Records, model: dict[str, Any], *, review_from: float = REVIEW_FROM,
          blocking_rules: list[Any] | None = None) -> list[ScoredPair]:
    """Every candidate pair of these records at or above `review_from`, likeliest first."""
    _quiet()
    if len(records) < 2:
        return []
    from splink import SettingsCreator

    # The blocking rules are the code's, not the model file's: they decide the scan's cost, and a
    # model trained before they were last measured (or on a small index) must not bring old ones.
    creator = SettingsCreator.from_path_or_dict(splink_settings(model))
    creator.blocking_rules_to_generate_predictions = (
        blocking_rules if blocking_rules is not None else prediction_blocking_rules())
    settings = creator
    linker = _linker(_frame(records), settings)
    frame = linker.inference.predict(threshold_match_probability=review_from).as_pandas_dataframe()
    labels = _level_labels(model)
    pairs = []
    for row in frame.to_dict("records"):
        evidence, levels = [], {}
        for name, by_value in labels.items():
            value = int(row[f"gamma_{name}"])
            level = by_value.get(value, str(value))
            levels[name] = level
            bayes = row.get(f"bf_{name}")
            tf = row.get(f"bf_tf_adj_{name}")
            weight = 0.0 if value == -1 or not bayes else math.log2(float(bayes) * float(tf or 1.0))
            evidence.append(FieldEvidence(field=name, level=level, weight=round(weight, 2)))
        flags = household_flags(row, levels)
        probability = float(row["match_probability"])
        band = "match" if probability >= MATCH_FROM and not flags else "review"
        left, right = sorted((str(row["unique_id_l"]), str(row["unique_id_r"])))
        pairs.append(ScoredPair(left=left, right=right, probability=probability,
                                match_weight=float(row["match_weight"]), band=band, evidence=evidence,
                                flags=flags))
    pairs.sort(key=lambda pair: (-pair.probability, pair.left, pair.right))
    return pairs
