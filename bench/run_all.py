"""`make bench`: run every bench/*.py module that defines `run() -> dict` and write its result to
bench/results/<module>.json. A module that lacks optional data or an engine says so itself and
leaves those keys out; one that fails does not stop the others."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"


def bench_modules() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules([str(BENCH_DIR)])
                  if info.name not in {"run_all", "__init__"} and not info.name.startswith("_"))


def main(selected: list[str]) -> int:
    RESULTS_DIR.mkdir(exist_ok=True)
    failed = []
    for name in bench_modules():
        if selected and name not in selected:
            continue
        module = importlib.import_module(f"bench.{name}")
        run = getattr(module, "run", None)
        if not callable(run):
            continue
        print(f"==== bench {name} ====", flush=True)
        started = time.perf_counter()
        try:
            result = run()
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        path = RESULTS_DIR / f"{name}.json"
        # A results file also holds keys that other benchmark scripts write (the FEBRL, 1M-index and
        # single-record figures in mpi.json, the load test and verify figures in scale.json): this run
        # replaces its own keys and keeps theirs.
        kept = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps({**kept, **result}, indent=2, sort_keys=True) + "\n")
        print(f"{name}: {time.perf_counter() - started:.0f} s, results in {path.relative_to(BENCH_DIR.parent)}")
        for key, value in sorted(result.items()):
            if not isinstance(value, dict | list):
                print(f"  {key:40} {value}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
