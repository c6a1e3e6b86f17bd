"""`chartdesk codes suggest FILE --setting outpatient|inpatient`: the coding screen's suggestion
engine (coding.suggest) on one note read from a file, with the classification's index when an
ICD-10-CM release is loaded."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chartdesk.coding.suggest import Suggestion, encoder_index, suggest_codes

SETTINGS = ("outpatient", "inpatient")
SEXES = ("F", "M")
MAX_NOTE_BYTES = 2_000_000  # a note, not a chart export


def read_note(name: str) -> str:
    """The note's text, or a CommandError that names what is wrong with the file."""
    path = Path(name)
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    if not path.is_file():
        raise CommandError(f"{path}: not a file")
    try:
        raw = path.read_bytes()
    except OSError as problem:
        raise CommandError(f"{path}: cannot be read ({problem.strerror or problem})") from None
    if len(raw) > MAX_NOTE_BYTES:
        raise CommandError(f"{path}: {len(raw):,} bytes is more than one note ({MAX_NOTE_BYTES:,} at most)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        raise CommandError(f"{path}: not UTF-8 text (byte {problem.start})") from None
    if not text.strip():
        raise CommandError(f"{path}: the file is empty, there is no note to read")
    return text


def as_row(suggestion: Suggestion) -> dict[str, object]:
    return {
        "code": suggestion.code,
        "title": suggestion.title,
        "system": suggestion.system,
        "confidence": suggestion.confidence,
        "section": suggestion.section,
        "flags": sorted(suggestion.flags),
        "evidence": [{"start": item.start, "end": item.end, "text": item.text} for item in suggestion.evidence],
    }


def run_suggest(command: BaseCommand, options: dict[str, Any]) -> None:
    setting = options["setting"]
    if setting not in SETTINGS:
        raise CommandError(f"--setting must be outpatient or inpatient, not {setting!r}")
    sex = options["sex"]
    if sex is not None and sex not in SEXES:
        raise CommandError(f"--sex must be F or M, not {sex!r}")
    age = options["age"]
    if age is not None and not 0 <= age <= 130:
        raise CommandError(f"--age must be between 0 and 130, not {age}")
    on: datetime.date | None = options["date"]
    text = read_note(options["file"])
    index = encoder_index(on)
    if index is None:
        command.stderr.write("no ICD-10-CM release is loaded for that date: suggestions come from the "
                             "dictionary alone (load one with `codes load icd10cm`)")
    suggestions = suggest_codes(text, setting=setting, sex=sex, age=age, index=index, on=on)
    if options["json"]:
        command.stdout.write(json.dumps([as_row(suggestion) for suggestion in suggestions]))
        return
    for suggestion in suggestions:
        evidence = "; ".join(repr(item.text) for item in suggestion.evidence)
        command.stdout.write(f"{suggestion.code:9} {suggestion.confidence:.2f}  {suggestion.title}")
        command.stdout.write(f"          {evidence}")
