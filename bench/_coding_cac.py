"""Computer-assisted coding benchmark: precision, recall and F1 of the suggested ICD-10-CM codes
against bench/data/cac_eval.jsonl (hand-labelled MTSamples notes and labelled synthetic notes; see
docs/coding-suggestions.md), and notes read per second once the dictionary is loaded.

Scores are micro-averaged over notes, comparing each note's set of suggested diagnosis codes with
its labels; procedure codes are not labelled and not scored. Also reported by source, since the
synthetic notes are easier than dictated ones.

`python -m bench._coding_cac` runs it alone; `--errors` prints each note's misses and extras.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

EVAL_SET = Path(__file__).resolve().parent / "data" / "cac_eval.jsonl"
MIN_TIMING_SECONDS = 3.0


def load_notes() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def suggested_codes(note: dict[str, Any]) -> list[str]:
    from chartdesk.coding.suggest import suggest_codes

    suggestions = suggest_codes(note["text"], setting=note["setting"], sex=note.get("sex"), age=note.get("age"))
    return [suggestion.code for suggestion in suggestions if suggestion.system == "icd10cm"]


def run() -> dict[str, Any]:
    from chartdesk.coding.suggest.feedback import Scores, scores_for_note
    from chartdesk.coding.suggest.lexicon import load_lexicon

    started = time.perf_counter()
    load_lexicon()
    load_seconds = time.perf_counter() - started
    notes = load_notes()
    totals: dict[str, Scores] = {}
    for note in notes:
        scores = scores_for_note(suggested_codes(note), note["codes"])
        for key in ("all", note["source"]):
            totals[key] = totals.get(key, Scores(0, 0, 0)) + scores
    read = 0
    started = time.perf_counter()
    while time.perf_counter() - started < MIN_TIMING_SECONDS:
        for note in notes:
            suggested_codes(note)
        read += len(notes)
    elapsed = time.perf_counter() - started
    overall = totals["all"]
    result: dict[str, Any] = {
        "cac_precision": round(overall.precision, 3),
        "cac_recall": round(overall.recall, 3),
        "cac_f1": round(overall.f1, 3),
        "cac_notes_per_s": round(read / elapsed, 1),
        "eval_notes": len(notes),
        "cac_eval_labels": sum(len(note["codes"]) for note in notes),
        "cac_dictionary_load_s": round(load_seconds, 2),
    }
    for source in sorted(key for key in totals if key != "all"):
        scores = totals[source]
        key = source.replace("-", "_")
        result[f"cac_{key}_notes"] = sum(1 for note in notes if note["source"] == source)
        result[f"cac_{key}_precision"] = round(scores.precision, 3)
        result[f"cac_{key}_recall"] = round(scores.recall, 3)
        result[f"cac_{key}_f1"] = round(scores.f1, 3)
    return result


def print_errors(source: str | None) -> None:
    for note in load_notes():
        if source and note["source"] != source:
            continue
        suggested, expected = set(suggested_codes(note)), set(note["codes"])
        if suggested != expected:
            print(f"{note['id']} ({note['setting']}): missed {sorted(expected - suggested)} "
                  f"extra {sorted(suggested - expected)}")


if __name__ == "__main__":
    if "--errors" in sys.argv:
        print_errors(sys.argv[2] if len(sys.argv) > 2 else None)
    else:
        print(json.dumps(run(), indent=2, sort_keys=True))
