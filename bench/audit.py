"""The audit hot path with and without checkpoints outside the database.

Each event is recorded in its own transaction (SQLite, synchronous=FULL), as a desk request records
its view: the cost per event is what a user waits for. Variants, each in a fresh process (settings
are read at start-up), run twice, alternating, best run kept (the machine is shared):

- `off`: no checkpoint target;
- `default`: a checkpoint file, every 1000 events or 5 minutes (what ships);
- `every_event`: a checkpoint after every event, to show what the throttling saves.

Run: `python -m bench.run_all audit`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EVENTS = 3000
VARIANTS = {"off": {"CHARTDESK_AUDIT_CHECKPOINT_PATH": ""},
            "default": {},
            "every_event": {"CHARTDESK_AUDIT_CHECKPOINT_EVERY": "1"}}


def measure(count: int) -> dict[str, float]:
    import django

    django.setup()
    from chartdesk.audit.actions import record_event
    from chartdesk.audit.models import AuditAction

    timings = []
    started = time.perf_counter()
    for number in range(count):
        begun = time.perf_counter()
        record_event(AuditAction.VIEW, username="bench", object_type="document", object_id=number)
        timings.append((time.perf_counter() - begun) * 1000)
    elapsed = time.perf_counter() - started
    timings.sort()
    return {"events_per_s": round(count / elapsed, 1), "p50_ms": round(statistics.median(timings), 3),
            "p95_ms": round(timings[int(len(timings) * 0.95)], 3)}


def _child(work: Path, extra: dict[str, str], count: int) -> dict[str, float]:
    env = {**os.environ, "CHARTDESK_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
           "CHARTDESK_VAR_DIR": str(work), "DJANGO_SETTINGS_MODULE": "chartdesk.settings", **extra}
    env.pop("CHARTDESK_MODE", None)
    done = subprocess.run([sys.executable, "-m", "bench.audit", "--measure", str(count)], env=env, cwd=REPO,
                          check=True, stdout=subprocess.PIPE, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run() -> dict[str, Any]:
    result: dict[str, Any] = {"events_per_variant_run": EVENTS,
                              "note": "SQLite synchronous=FULL, one transaction per event; best of two "
                                      "alternating runs per variant."}
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-audit-") as folder:
        work = Path(folder)
        env = {**os.environ, "CHARTDESK_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
               "CHARTDESK_VAR_DIR": str(work)}
        env.pop("CHARTDESK_MODE", None)
        subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env, cwd=REPO,
                       check=True)
        best: dict[str, dict[str, float]] = {}
        for _ in range(2):
            for name, extra in VARIANTS.items():
                measured = _child(work, extra, EVENTS)
                if name not in best or measured["events_per_s"] > best[name]["events_per_s"]:
                    best[name] = measured
        lines = (work / "audit-checkpoints.jsonl").read_text().splitlines()
        result["checkpoint_lines_written"] = len(lines)
    for name, measured in best.items():
        for key, value in measured.items():
            result[f"{key}_{name}"] = value
    return result


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(int(sys.argv[2]))))
    else:
        print(json.dumps(run(), indent=2))
