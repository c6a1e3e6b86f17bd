"""De-identification measured on notes nobody here wrote: the PhysioNet deid gold standard.

bench/data/physionet_deid/README.md says where the notes come from, their licence, and the split
(odd patient numbers tune, even ones are held out and only measured). Each note goes through the
TextScrubber with no known names or places, as `chartdesk deid text` sees a file.

The note's word tokens are aligned with the output's (difflib, on lower-cased tokens): a token
in an unchanged run survived, any other was removed.

leak rate       gold PHI phrases with any word surviving, over the phrases counted. DateYear phrases
                are not counted: Safe Harbor keeps the year. Ages count only over 89 (all the
                corpus's Age phrases are).
over-scrub rate word tokens outside every gold PHI phrase that the scrubber removed, over all such
                tokens. `numeric` is the same over tokens with a digit (doses, vitals, lab values).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent / "data" / "physionet_deid"
RECORD = re.compile(r"START_OF_RECORD=(\d+)\|\|\|\|(\d+)\|\|\|\|\n(.*?)\|\|\|\|END_OF_RECORD", re.DOTALL)
WORD = re.compile(r"[A-Za-z0-9]+")
NOT_COUNTED = {"DateYear"}  # Safe Harbor keeps the year


@dataclass
class Note:
    patient: int
    number: int
    text: str
    phi: list[tuple[int, int, str, str]] = field(default_factory=list)  # start, end, category, phrase


def load() -> list[Note]:
    notes = {(int(patient), int(number)): Note(int(patient), int(number), body)
             for patient, number, body in RECORD.findall((CORPUS / "id.text").read_text(encoding="utf-8"))}
    for line in (CORPUS / "id-phi.phrase").read_text(encoding="utf-8").splitlines():
        patient, number, start, end, category, *words = line.split()
        notes[(int(patient), int(number))].phi.append((int(start), int(end), category, " ".join(words)))
    return list(notes.values())


def split(notes: list[Note], part: str) -> list[Note]:
    """'tuning': odd patient numbers; 'held_out': even ones (fixed before any tuning)."""
    return [note for note in notes if (note.patient % 2 == 1) == (part == "tuning")]


def _surviving_tokens(text: str, output: str) -> tuple[list[re.Match[str]], list[bool]]:
    """The note's word tokens, and for each whether it is still in the output at its place."""
    tokens = list(WORD.finditer(text))
    matcher = SequenceMatcher(None, [token.group(0).lower() for token in tokens],
                              [word.lower() for word in WORD.findall(output)], autojunk=False)
    kept = [False] * len(tokens)
    for block in matcher.get_matching_blocks():
        for index in range(block.a, block.a + block.size):
            kept[index] = True
    return tokens, kept


def measure(notes: list[Note]) -> dict[str, Any]:
    from chartdesk.disclosures.deid.safe_harbor import TextScrubber

    scrubber = TextScrubber()
    scrubber.scrub("Warm up: the model and gazetteers load once, from Pittsburgh.")
    started, cpu_started = time.perf_counter(), time.process_time()
    outputs = [scrubber.scrub(note.text) for note in notes]
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    counted: Counter[str] = Counter()
    leaked: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    kept_words = lost_words = kept_numbers = lost_numbers = 0
    for note, output in zip(notes, outputs, strict=True):
        tokens, kept = _surviving_tokens(note.text, output)
        in_phi = [False] * len(tokens)
        for start, end, category, phrase in note.phi:
            inside = [index for index, token in enumerate(tokens) if start < token.end() and token.start() < end]
            for index in inside:
                in_phi[index] = True
            if category in NOT_COUNTED or not inside:
                continue
            counted[category] += 1
            if any(kept[index] for index in inside):
                leaked[category] += 1
                examples.setdefault(category, []).append(phrase)
        for token, survived, phi in zip(tokens, kept, in_phi, strict=True):
            if phi:
                continue
            numeric = any(char.isdigit() for char in token.group(0))
            kept_words += survived
            lost_words += not survived
            kept_numbers += survived and numeric
            lost_numbers += (not survived) and numeric
    total = sum(counted.values())
    return {
        "notes": len(notes),
        "patients": len({note.patient for note in notes}),
        "phi_counted": total,
        "phi_leaked": sum(leaked.values()),
        "leak_rate": round(sum(leaked.values()) / total, 4) if total else 0.0,
        "leak_rate_by_type": {category: {"counted": counted[category], "leaked": leaked[category],
                                         "rate": round(leaked[category] / counted[category], 4)}
                              for category in sorted(counted)},
        "overscrub_rate": round(lost_words / (lost_words + kept_words), 4),
        "overscrub_rate_numeric": round(lost_numbers / max(1, lost_numbers + kept_numbers), 4),
        "non_phi_words": lost_words + kept_words,
        "notes_per_s": round(len(notes) / elapsed, 1),
        "notes_per_cpu_s": round(len(notes) / cpu, 1),
        "leak_examples": {category: sorted(set(values))[:8] for category, values in sorted(examples.items())},
    }


ORIGIN = ("PhysioNet deid 1.1 gold-standard nursing notes (surrogate PHI, GPL-2.0), bench/data/physionet_deid; "
          "held out: the notes of even-numbered patients, never used to tune")


def run() -> dict[str, Any]:
    """The held-out figures under their own names; the tuning split's beside them, labelled in-sample."""
    notes = load()
    held_out, tuning = measure(split(notes, "held_out")), measure(split(notes, "tuning"))
    return {
        "deid_leak_rate_external": held_out["leak_rate"],
        "deid_leak_rate_external_by_type": held_out["leak_rate_by_type"],
        "deid_overscrub_rate": held_out["overscrub_rate"],
        "deid_overscrub_rate_numeric": held_out["overscrub_rate_numeric"],
        "deid_external_set": {"origin": ORIGIN, "notes": held_out["notes"], "patients": held_out["patients"],
                              "phi_counted": held_out["phi_counted"], "phi_leaked": held_out["phi_leaked"],
                              "non_phi_words": held_out["non_phi_words"]},
        "deid_external_notes_per_s": held_out["notes_per_s"],
        "deid_external_notes_per_cpu_s": held_out["notes_per_cpu_s"],
        "deid_external_leak_examples": held_out["leak_examples"],
        "deid_in_sample_tuning_split": {key: tuning[key] for key in (
            "notes", "patients", "phi_counted", "phi_leaked", "leak_rate", "leak_rate_by_type", "overscrub_rate",
            "overscrub_rate_numeric")},
    }


if __name__ == "__main__":
    import json
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chartdesk.settings")
    django.setup()
    part = sys.argv[1] if len(sys.argv) > 1 else "tuning"
    print(json.dumps(measure(split(load(), part)), indent=2))
