"""The MTSamples notes the suggestion engine is scored on: which notes (a fixed, seeded rule, applied
before anything was tuned), their split into `dev` and `untouched`, and their hand-made labels
(bench/data/cac_mtsamples_split.json). The note text is read from the shared MTSamples file and
checked against the SHA-256 recorded with each label, so a label always meets the text it was
written for.

    python -m bench._cac_split MTSAMPLES_JSONL          # list the notes the rule picks, in order
    python -m bench._cac_split MTSAMPLES_JSONL --check  # the files' notes are exactly the rule's; labels billable

The tuning set (bench/data/cac_mtsamples_tune.json, `tune`) is the next 40 notes of the same order,
labelled the same way after the split was fixed: tuning looks at dev and tune, never at untouched.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

from bench._cac_eval_build import HELD_OUT_2_LABELS, HELD_OUT_LABELS, MTSAMPLES_LABELS

SPLIT_FILE = Path(__file__).resolve().parent / "data" / "cac_mtsamples_split.json"
# The tuning set, in its own file so that it can never be mixed into the split it is kept from.
TUNE_FILE = Path(__file__).resolve().parent / "data" / "cac_mtsamples_tune.json"
ENCODER_EVAL = Path(__file__).resolve().parent / "data" / "encoder_mtsamples_eval.tsv"
SEED = "chartdesk-cac-split-2026-12-07"
DEV_NOTES = 30
UNTOUCHED_NOTES = 150
TUNE_NOTES = 40
MIN_CHARS, MAX_CHARS = 400, 3000
TRANSCRIPTION_EVERY = 97  # bench/transcription.py reads every 97th line of the file
# A header that carries the note's diagnostic statement, as dictated ("ASSESSMENT:", "IMPRESSION:",
# "DISCHARGE DIAGNOSES:", "POSTOPERATIVE DIAGNOSIS:", "PRINCIPAL DIAGNOSIS:").
DIAGNOSIS_HEADER = re.compile(r"\b[A-Z /-]*(?:DIAGNOS[EI]S|ASSESSMENT|IMPRESSION)[A-Z /]*:")
INPATIENT_HEADER = re.compile(r"HOSPITAL COURSE|DISCHARGE DIAGNOS|ADMISSION DIAGNOS|ADMITTING DIAGNOS|"
                              r"DATE OF ADMISSION|PRINCIPAL DIAGNOS")


def used_note_ids() -> set[int]:
    """Notes the project has already read for coding figures (the earlier CAC sets and the encoder's
    clinician phrases)."""
    used = set(MTSAMPLES_LABELS) | set(HELD_OUT_LABELS) | set(HELD_OUT_2_LABELS)
    for line in ENCODER_EVAL.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            used.add(int(line.split("\t", 1)[0]))
    return used


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def setting_of(text: str, specialty: str) -> str:
    """Inpatient for discharge summaries and notes of a stay (hospital course, admission or principal
    diagnosis); everything else, including operative notes, outpatient."""
    if "Discharge Summary" in specialty or INPATIENT_HEADER.search(text):
        return "inpatient"
    return "outpatient"


def eligible_notes(source: Path) -> list[dict[str, Any]]:
    """The rule: every note of 400-3,000 characters with a diagnostic-statement header, not used
    before, not the transcription benchmark's lines, and not a copy of a used note's text (MTSamples
    files one report under several specialties); one note per distinct text (its lowest id); in the
    order of SHA-256(SEED | note_id); the first 50 are `dev`, the next 150 `untouched`."""
    used = used_note_ids()
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    used_texts = {" ".join((row.get("transcription") or "").split()) for row in rows if row["note_id"] in used}
    for line_number, row in enumerate(rows):
        if line_number % TRANSCRIPTION_EVERY == 0:
            used_texts.add(" ".join((row.get("transcription") or "").split()))
    seen: set[str] = set()
    eligible = []
    for row in sorted(rows, key=lambda item: item["note_id"]):
        text = row.get("transcription") or ""
        flat = " ".join(text.split())
        if not MIN_CHARS <= len(text) <= MAX_CHARS or not DIAGNOSIS_HEADER.search(text):
            continue
        if row["note_id"] in used or flat in used_texts or flat in seen:
            continue
        seen.add(flat)
        eligible.append(row)
    eligible.sort(key=lambda row: hashlib.sha256(f"{SEED}|{row['note_id']}".encode()).hexdigest())
    return eligible


def _described(row: dict[str, Any], split: str) -> dict[str, Any]:
    return {"note_id": row["note_id"], "split": split,
            "setting": setting_of(row["transcription"], row["medical_specialty"]),
            "specialty": row["medical_specialty"].strip(), "sample_name": row["sample_name"].strip(),
            "text": row["transcription"]}


def picked_notes(source: Path) -> list[dict[str, Any]]:
    """The dev and untouched notes: the first 30 eligible notes are `dev`, the next 150 `untouched`."""
    eligible = eligible_notes(source)[:DEV_NOTES + UNTOUCHED_NOTES]
    return [_described(row, "dev" if position < DEV_NOTES else "untouched") for position, row in enumerate(eligible)]


def picked_tune_notes(source: Path) -> list[dict[str, Any]]:
    """The tuning set, picked after the split was fixed: the next 40 eligible notes in the same order,
    so none is a dev or untouched note nor a copy of one (one note per distinct text)."""
    start = DEV_NOTES + UNTOUCHED_NOTES
    return [_described(row, "tune") for row in eligible_notes(source)[start:start + TUNE_NOTES]]


def load_split(source: Path, labels: Path = SPLIT_FILE) -> list[dict[str, Any]]:
    """The labelled notes with their text, in file order; refuses a text that is not the one labelled.
    `labels` is the split file (dev and untouched) or TUNE_FILE (tune)."""
    labelled = json.loads(labels.read_text(encoding="utf-8"))["notes"]
    texts = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            texts[row["note_id"]] = row["transcription"] or ""
    notes = []
    for item in labelled:
        text = texts.get(item["note_id"])
        if text is None or text_hash(text) != item["sha256"]:
            raise SystemExit(f"MTSamples note {item['note_id']} is missing or not the text that was labelled")
        notes.append({"id": f"mtsamples-{item['note_id']}", "source": f"mtsamples-{item['split']}",
                      "split": item["split"], "setting": item["setting"], "sex": None, "age": None,
                      "text": text, "codes": sorted(set(item["codes"]))})
    return notes


def check(source: Path) -> int:
    from chartdesk.coding.suggest.tabular import load_tabular

    tabular = load_tabular()
    status = 0
    for labels, rule in ((SPLIT_FILE, picked_notes), (TUNE_FILE, picked_tune_notes)):
        status |= check_file(source, labels, rule, tabular)
    return status


def check_file(source: Path, labels: Path, rule: Any, tabular: Any) -> int:
    expected = [(note["note_id"], note["split"]) for note in rule(source)]
    labelled = json.loads(labels.read_text(encoding="utf-8"))["notes"]
    if [(item["note_id"], item["split"]) for item in labelled] != expected:
        print(f"{labels.name}: the file's notes are not the ones the rule picks")
        return 1
    load_split(source, labels)
    wrong = [(item["note_id"], code) for item in labelled for code in item["codes"] if not tabular.is_billable(code)]
    if wrong:
        print(f"{labels.name}: labels that are not billable ICD-10-CM codes: {wrong}")
        return 1
    count = sum(len(item["codes"]) for item in labelled)
    print(f"{labels.name}: {len(labelled)} notes, {count} labels: as the rule picks, all billable")
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    source = Path(argv[0])
    if "--check" in argv:
        return check(source)
    for note in picked_notes(source):
        print(json.dumps({key: note[key] for key in ("note_id", "split", "setting", "specialty", "sample_name")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
