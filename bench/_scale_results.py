"""bench/results/scale.json is written by several benchmarks (database, storage, load): each one reads
the file, replaces only its own keys and writes it back, so one run never erases another's figures."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SCALE_RESULTS = Path(__file__).resolve().parent / "results" / "scale.json"


def record(figures: dict[str, Any]) -> dict[str, Any]:
    SCALE_RESULTS.parent.mkdir(exist_ok=True)
    held = json.loads(SCALE_RESULTS.read_text()) if SCALE_RESULTS.exists() else {}
    held.update(figures)
    SCALE_RESULTS.write_text(json.dumps(held, indent=2, sort_keys=True) + "\n")
    return held


def load_average() -> str:
    """The machine is shared: the figures mean little without how busy it was."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"
