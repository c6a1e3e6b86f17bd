"""Computer-assisted coding benchmark: precision, recall and F1 of the suggested ICD-10-CM codes
against bench/data/cac_eval.jsonl (hand-labelled MTSamples notes and labelled synthetic notes; see
docs/coding-suggestions.md), and notes read per second once the dictionary is loaded.

The figures to quote come from bench/data/cac_mtsamples_split.json (bench/_cac_split.py): 150
MTSamples notes labelled by hand and never tuned on (`cac_*_untouched`), next to a baseline on the
same notes in the same run (`cac_baseline_*_untouched`: each item of the note's diagnostic statement
looked up in the encoder, its first billable answer taken, no rules), and to the engine without the
classification's index (`cac_dictionary_only_*_untouched`). The 30 `dev` notes and the 40 `tune`
notes (bench/data/cac_mtsamples_tune.json) were looked at while changing the engine:
`cac_in_sample_*_dev` and `cac_in_sample_*_tune` measure that tuning. They need the shared MTSamples file
and a loaded ICD-10-CM release (bench/coding.py's child process has both); without the file the keys
are left out and the run says so.

Scores are micro-averaged over notes, comparing each note's set of suggested diagnosis codes with
its labels; procedure codes are not labelled and not scored. Also reported by source, since the
synthetic notes are easier than dictated ones.

`python -m bench._coding_cac` runs it alone; `--errors` prints each note's misses and extras.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EVAL_SET = Path(__file__).resolve().parent / "data" / "cac_eval.jsonl"
MTSAMPLES = Path(os.environ.get("CHARTDESK_BENCH_MTSAMPLES", REPO.parent / "shared" / "data" / "mtsamples"
                                / "mtsamples.jsonl"))
MIN_TIMING_SECONDS = 3.0


def load_notes() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def suggested_codes(note: dict[str, Any], index: Any = None) -> list[str]:
    from chartdesk.coding.suggest import suggest_codes

    suggestions = suggest_codes(note["text"], setting=note["setting"], sex=note.get("sex"), age=note.get("age"),
                                index=index)
    return [suggestion.code for suggestion in suggestions if suggestion.system == "icd10cm"]


def baseline_codes(note: dict[str, Any], index: Any) -> list[str]:
    """Each item of the diagnostic statement (final, else preoperative or admitting) looked up in the
    encoder, its first billable answer kept: what a coder gets by typing the assessment into it."""
    from chartdesk.coding.encoder.search import search_index
    from chartdesk.coding.suggest.indexed import item_span
    from chartdesk.coding.suggest.sections import SectionKind, split_sections
    from chartdesk.coding.suggest.text import clauses

    text = note["text"]
    sections = split_sections(text)
    final = [section for section in sections if section.kind == SectionKind.DIAGNOSIS]
    statement = final or [section for section in sections if section.kind == SectionKind.INITIAL_DIAGNOSIS]
    found = []
    for section in statement:
        for start, end in clauses(text, section.start, section.end):
            span = item_span(text, start, end)
            if span is None:
                continue
            for hit in search_index(index, text[span[0]:span[1]], limit=5):
                if hit.billable:
                    found.append(hit.display)
                    break
    return sorted(set(found))


def split_scores(index: Any) -> dict[str, Any]:
    """The engine, the engine without the index and the baseline on the dev and untouched splits."""
    from bench._cac_split import TUNE_FILE, load_split
    from chartdesk.coding.suggest.feedback import Scores, scores_for_note

    if not MTSAMPLES.is_file():
        print(f"MTSamples not found at {MTSAMPLES}: the untouched-split figures are left out", file=sys.stderr)
        return {}
    notes = load_split(MTSAMPLES) + load_split(MTSAMPLES, TUNE_FILE)
    runs = {"": lambda note: suggested_codes(note, index),
            "dictionary_only_": suggested_codes,
            "baseline_": lambda note: baseline_codes(note, index)}
    result: dict[str, Any] = {}
    for split, label in (("untouched", "untouched"), ("dev", "dev"), ("tune", "tune")):
        chosen = [note for note in notes if note["split"] == split]
        result[f"cac_{split}_notes"] = len(chosen)
        result[f"cac_{split}_labels"] = sum(len(note["codes"]) for note in chosen)
        for prefix, codes_of in runs.items():
            total = Scores(0, 0, 0)
            for note in chosen:
                total = total + scores_for_note(codes_of(note), note["codes"])
            name = prefix if split == "untouched" else f"in_sample_{prefix}"
            for measure in ("precision", "recall", "f1"):
                result[f"cac_{name}{measure}_{label}"] = round(getattr(total, measure), 3)
    return result


def run(index: Any = None) -> dict[str, Any]:
    from chartdesk.coding.suggest.feedback import Scores, scores_for_note
    from chartdesk.coding.suggest.lexicon import load_lexicon

    started = time.perf_counter()
    load_lexicon()
    load_seconds = time.perf_counter() - started
    notes = load_notes()
    totals: dict[str, Scores] = {}
    for note in notes:
        scores = scores_for_note(suggested_codes(note, index), note["codes"])
        for key in ("all", note["source"]):
            totals[key] = totals.get(key, Scores(0, 0, 0)) + scores
    read = 0
    started = time.perf_counter()
    while time.perf_counter() - started < MIN_TIMING_SECONDS:
        for note in notes:
            suggested_codes(note, index)
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
    if index is not None:
        result.update(split_scores(index))
    return result


def tuning_errors(index: Any) -> None:
    """Per-note misses and extras on the notes tuning may look at (dev and tune), and their scores.
    The untouched split is not read here: it is scored only, by split_scores."""
    from bench._cac_split import TUNE_FILE, load_split
    from chartdesk.coding.suggest.feedback import Scores, scores_for_note

    notes = [note for note in load_split(MTSAMPLES) if note["split"] == "dev"] + load_split(MTSAMPLES, TUNE_FILE)
    totals: dict[str, Scores] = {}
    for note in notes:
        suggested, expected = suggested_codes(note, index), note["codes"]
        totals[note["split"]] = totals.get(note["split"], Scores(0, 0, 0)) + scores_for_note(suggested, expected)
        if set(suggested) != set(expected):
            print(f"{note['split']} {note['id']} ({note['setting']}): missed {sorted(set(expected) - set(suggested))} "
                  f"extra {sorted(set(suggested) - set(expected))}")
    for split, scores in totals.items():
        print(f"{split}: precision {scores.precision:.3f} recall {scores.recall:.3f} f1 {scores.f1:.3f}")


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
