"""Which blocking rules the scan uses, by measurement: for each candidate rule on the synthetic index
(bench/_mpi_synthetic.py), how many pairs it generates and how many of the planted duplicate pairs
it keeps, alone and added to the rules before it (pairs counted from block sizes, recall from the
truth; no scoring). No database: the generator's rows go straight into the model's columns
(`patients.linkage._frame`), as `patients.duplicates.index_records` would read them.

`python -m bench._mpi_blocking [ROWS]` prints the table (default 1,000,000 rows).
"""

from __future__ import annotations

import json
import sys
from typing import Any

# (name, key columns): a pair is generated when both records have every key and the keys agree.
# "birth_year" is the first four characters of the birth date; "swapped" is given/family crossed.
CANDIDATES: list[tuple[str, tuple[str, ...]]] = [
    ("ssn_key", ("ssn_key",)),
    ("given_key+family_key", ("given_key", "family_key")),
    ("birth_date", ("birth_date",)),
    ("family_phonetic+birth_year", ("family_phonetic", "birth_year")),
    ("given_phonetic+postal_code", ("given_phonetic", "postal_code")),
    ("phone", ("phone",)),
    ("swapped", ("swapped",)),
    ("birth_date+given_phonetic", ("birth_date", "given_phonetic")),
    ("birth_date+family_phonetic", ("birth_date", "family_phonetic")),
    ("birth_date+postal_code", ("birth_date", "postal_code")),
    ("family_phonetic+given_phonetic", ("family_phonetic", "given_phonetic")),
    ("family_key+birth_year", ("family_key", "birth_year")),
    ("given_key+birth_year", ("given_key", "birth_year")),
    ("address", ("address",)),
    ("family_phonetic+birth_month", ("family_phonetic", "birth_month")),
    ("swapped+birth_year", ("swapped", "birth_year")),
    ("given_key+family_key+sex", ("given_key", "family_key", "sex")),
    ("given_phonetic+family_phonetic+birth_year", ("given_phonetic", "family_phonetic", "birth_year")),
]


SPLINK_RULES = {
    "ssn_key": ("ssn_key",), "given_key+family_key": ("given_key", "family_key"), "birth_date": ("birth_date",),
    "family_phonetic+birth_year": ("family_phonetic", "substr(birth_date, 1, 4)"),
    "given_phonetic+postal_code": ("given_phonetic", "postal_code"), "phone": ("phone",),
    "birth_date+given_phonetic": ("birth_date", "given_phonetic"),
    "birth_date+family_phonetic": ("birth_date", "family_phonetic"),
    "birth_date+postal_code": ("birth_date", "postal_code"), "address": ("address",),
    "family_phonetic+birth_month": ("family_phonetic", "substr(birth_date, 1, 7)"),
    "given_phonetic+family_phonetic+birth_year": ("given_phonetic", "family_phonetic", "substr(birth_date, 1, 4)"),
}


def splink_rules(names: list[str]) -> list[Any]:
    """A rule set as Splink blocking rules (what `patients.linkage.prediction_blocking_rules` holds)."""
    from splink import block_on

    swapped = "l.given_key = r.family_key AND l.family_key = r.given_key"
    special = {"swapped": swapped,
               "swapped+birth_year": f"{swapped} AND substr(l.birth_date, 1, 4) = substr(r.birth_date, 1, 4)"}
    return [special[name] if name in special else block_on(*SPLINK_RULES[name]) for name in names]


def model_frame(rows: int, seed: int) -> tuple[Any, Any]:
    import pandas as pd

    from bench._mpi_synthetic import generate
    from chartdesk.core.crypto import keyed_digest
    from chartdesk.patients.linkage import _frame

    raw = pd.concat(list(generate(rows, seed)), ignore_index=True)
    records = pd.DataFrame({
        "unique_id": raw["source_id"].astype(str), "given_name": raw["given_name"],
        "family_name": raw["family_name"], "birth_date": raw["birth_date"], "sex": raw["sex"],
        "suffix": raw["suffix"], "address": raw["address_line"], "postal_code": raw["postal_code"],
        "phone": raw["phone"], "ssn_key": raw["ssn"].map(lambda ssn: keyed_digest(ssn) if ssn else ""),
        "ssn_last4": raw["ssn"].str[-4:]})
    frame = _frame(records)
    frame["birth_year"] = frame["birth_date"].str[:4]
    frame["birth_month"] = frame["birth_date"].str[:7]
    # Given and family crossed: one key that is the same for "Ann Lee" and "Lee Ann".
    frame["swapped"] = frame[["given_key", "family_key"]].apply(
        lambda keys: "|".join(sorted(keys)) if keys.notna().all() and keys.iloc[0] != keys.iloc[1] else None,
        axis=1)
    return frame, raw["person"].to_numpy()


def _block_ids(frame: Any, columns: tuple[str, ...]) -> Any:
    """A block number per record, -1 where a key is unknown."""
    keys = frame[list(columns)]
    known = keys.notna().all(axis=1)
    ids = keys[known].groupby(list(columns), sort=False).ngroup()
    return ids.reindex(frame.index, fill_value=-1).to_numpy()


# Rule sets, each as the scan would use them; the first is the rule set the scan shipped with.
RULE_SETS: dict[str, list[str]] = {
    "shipped": ["ssn_key", "given_key+family_key", "birth_date", "family_phonetic+birth_year",
                "given_phonetic+postal_code", "phone", "swapped"],
    "birth_date_split": ["ssn_key", "given_key+family_key", "birth_date+given_phonetic",
                         "birth_date+family_phonetic", "birth_date+postal_code", "family_phonetic+birth_year",
                         "given_phonetic+postal_code", "phone", "swapped"],
    "tight": ["ssn_key", "given_key+family_key", "birth_date+given_phonetic", "birth_date+family_phonetic",
              "birth_date+postal_code", "family_phonetic+birth_month", "given_phonetic+postal_code", "phone",
              "swapped+birth_year", "address"],
    "tight_no_names": ["ssn_key", "birth_date+given_phonetic", "birth_date+family_phonetic",
                       "birth_date+postal_code", "family_phonetic+birth_month",
                       "given_phonetic+family_phonetic+birth_year", "given_phonetic+postal_code", "phone",
                       "swapped+birth_year", "address"],
    "birth_date_split_address": ["ssn_key", "given_key+family_key", "birth_date+given_phonetic",
                                 "birth_date+family_phonetic", "birth_date+postal_code",
                                 "family_phonetic+birth_year", "given_phonetic+postal_code", "phone", "swapped",
                                 "address"],
}


def study(rows: int = 1_000_000, seed: int = 20261207) -> dict[str, Any]:
    """Per rule: pairs, largest block, recall alone; per rule set: pairs (sum over its rules, an
    upper bound: a pair two rules both generate is scored once) and recall of the union."""
    import numpy as np

    from bench._mpi_synthetic import truth_pairs

    frame, persons = model_frame(rows, seed)
    truth = np.array(sorted(truth_pairs(persons)))
    rules: dict[str, dict[str, Any]] = {}
    kept_by_rule = {}
    for name, columns in CANDIDATES:
        ids = _block_ids(frame, columns)
        sizes = np.bincount(ids[ids >= 0])
        kept_by_rule[name] = (ids[truth[:, 0]] == ids[truth[:, 1]]) & (ids[truth[:, 0]] >= 0)
        rules[name] = {"pairs": int((sizes * (sizes - 1) // 2).sum()),
                       "largest_block": int(sizes.max()) if len(sizes) else 0,
                       "recall_alone": round(float(kept_by_rule[name].mean()), 4)}
        print(name, json.dumps(rules[name]), file=sys.stderr, flush=True)
    sets = {}
    for set_name, names in RULE_SETS.items():
        kept = np.zeros(len(truth), dtype=bool)
        for name in names:
            kept |= kept_by_rule[name]
        sets[set_name] = {"rules": names, "pairs_at_most": sum(rules[name]["pairs"] for name in names),
                          "recall": round(float(kept.mean()), 4), "missed_pairs": int((~kept).sum())}
        print(set_name, json.dumps(sets[set_name]), file=sys.stderr, flush=True)
    return {"rows": rows, "duplicate_pairs": len(truth), "rules": rules, "rule_sets": sets}


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(study(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), indent=2))
