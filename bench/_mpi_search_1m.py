"""Patient search latency at 1,000,000 charts, on SQLite and on PostgreSQL, with bench.patients'
queries and timing (`name_queries`, `timed`: search_patients, audit event and all).

The index is the synthetic one of bench._mpi_scale (same generator and seed: the name pools of
bench.patients with 5% planted duplicates and 8% households), bulk-loaded by bench._mpi_bulk:
- SQLite: a copy of the database bench._mpi_scale loaded and kept (CHARTDESK_BENCH_MPI_DIR), so
  the million charts are loaded once for the scan, the match and the search figures;
- PostgreSQL: a throwaway cluster (bench._pg), migrated, loaded with COPY, ANALYZEd.

`python -m bench._mpi_search_1m sqlite DIR` or `... pg`; figures go into mpi.json as
`search_<kind>_p95_ms_1m_<engine>` (p50 and max beside), with the load average before and after.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def measure(engine: str, build: bool) -> dict[str, Any]:
    import django

    django.setup()
    from bench._mpi_scale import PATIENTS
    from bench._mpi_scale import SEED as INDEX_SEED
    from bench._mpi_synthetic import generate
    from bench.patients import QUERIES, SEED, _analyze, _bench_user, name_queries, timed
    from chartdesk.patients.models import Patient

    user = _bench_user()
    result: dict[str, Any] = {}
    if build:
        from bench._mpi_bulk import bulk_load

        started = time.perf_counter()
        for frame in generate(PATIENTS, INDEX_SEED):
            bulk_load(frame, user=user)
            print(f"search 1m: {frame['source_id'].iat[-1] + 1:,} loaded on {engine}", file=sys.stderr, flush=True)
        _analyze()
        result[f"index_build_s_{engine}"] = round(time.perf_counter() - started, 1)
    patients = list(Patient.objects.order_by("pk").only("pk", "mrn", "given_name", "family_name", "birth_date"))
    rng = random.Random(SEED + 1)
    for kind, queries in {
        "name": name_queries(rng, patients, QUERIES),
        "dob": [f"{rng.choice(patients).birth_date or patients[0].birth_date:%m/%d/%Y}" for _ in range(QUERIES)],
        "mrn": [rng.choice(patients).mrn for _ in range(QUERIES)],
    }.items():
        timings = timed(user, queries)
        for stat in ("p50", "p95", "max", "cpu_p50", "cpu_p95"):
            result[f"search_{kind}_{stat}_ms_1m_{engine}"] = timings[stat]
    result[f"search_patients_1m_{engine}"] = len(patients)
    return result


def _child(engine: str, env: dict[str, str], build: bool) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench._mpi_search_1m", "--measure", engine, str(int(build))],
                          env=env, cwd=REPO, check=True, stdout=subprocess.PIPE, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _env(url: str, work: Path) -> dict[str, str]:
    env = {**os.environ, "CHARTDESK_DATABASE_URL": url, "CHARTDESK_VAR_DIR": str(work),
           "DJANGO_SETTINGS_MODULE": "chartdesk.settings", "CHARTDESK_FAST_PASSWORD_HASHER": "1"}
    env.pop("CHARTDESK_MODE", None)
    return env


def on_sqlite(kept: Path) -> dict[str, Any]:
    copy = kept / "search.sqlite3"
    shutil.copyfile(kept / "bench.sqlite3", copy)
    try:
        return _child("sqlite", _env(f"sqlite:///{copy}", kept), build=False)
    finally:
        copy.unlink()


def on_postgres(work: Path) -> dict[str, Any]:
    from bench._pg import throwaway_database

    with throwaway_database("search 1m") as database:
        if database is None:
            return {}
        env = _env(database.url, work)
        subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env, cwd=REPO,
                       check=True)
        return _child("pg", env, build=True)


def record(result: dict[str, Any], engine: str, before: str) -> None:
    from bench._scale_results import load_average

    path = REPO / "bench" / "results" / "mpi.json"
    held = json.loads(path.read_text()) if path.exists() else {}
    held.update(result)
    held[f"search_load_average_1m_{engine}"] = (
        f"before {before}, after {load_average()} (python -m bench._mpi_search_1m {engine}: the synthetic "
        "index of bench._mpi_scale, 1,000,000 charts, bulk-loaded; PostgreSQL with fsync=off)")
    path.write_text(json.dumps(held, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], sys.argv[3] == "1")), flush=True)
    else:
        import tempfile

        from bench._scale_results import load_average

        before = load_average()
        if sys.argv[1] == "sqlite":
            figures = on_sqlite(Path(sys.argv[2]))
        else:
            with tempfile.TemporaryDirectory(prefix="chartdesk-bench-search1m-") as folder:
                figures = on_postgres(Path(folder))
        record(figures, sys.argv[1], before)
        print(json.dumps(figures, indent=2, sort_keys=True))
