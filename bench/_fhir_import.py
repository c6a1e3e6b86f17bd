"""FHIR import against raw inserts, on the Synthea sample replicated past 100,000 resources.

- fhir_import_resources_per_s_<engine>: `FhirImporter` on bulk NDJSON made from the public Synthea
  sample (the shared data folder `synthea-r4-10-patients`, CC0; CHARTDESK_BENCH_SYNTHEA points
  elsewhere): its Patient, Encounter, Condition, Procedure and DocumentReference resources copied
  COPIES times under new ids (each copy a different person: the name, birth date and identifiers
  change, so the MPI registers rather than links them), practitioners and organisations once. Every
  resource is validated, mapped, checked by the actions, written with its audit event, source
  record and FHIR version, and each encounter analysed for deficiencies.
- raw_insert_rows_per_s_<engine>: the domain rows that import created (patients with their names,
  phones, addresses and identifiers, encounters, conditions, procedures, documents and their
  versions) copied with plain bulk inserts into the same database in the same run.
- fhir_import_to_raw_ratio_<engine>: the first over the second (the goal is 0.25).
- fhir_import_load_average_<engine>: the machine's 1-minute load average before and after.

`python -m bench._fhir_import [sqlite|pg]` runs it alone; CHARTDESK_BENCH_FHIR_COPIES changes COPIES.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SYNTHEA = Path(os.environ.get("CHARTDESK_BENCH_SYNTHEA",
                              REPO.parent / "shared" / "data" / "synthea-r4-10-patients"))
COPIES = int(os.environ.get("CHARTDESK_BENCH_FHIR_COPIES", "20"))
CHART_FILES = ("Patient", "Encounter", "Condition", "Procedure", "DocumentReference")
SHARED_FILES = ("Practitioner", "Organization")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _lines(kind: str) -> list[str]:
    path = SYNTHEA / f"{kind}.000.ndjson"
    return [line for line in path.read_text().splitlines() if line.strip()]


def _person(resource: dict[str, Any], copy: int) -> dict[str, Any]:
    """Copy `copy` of a Synthea patient as somebody else: family name, birth date and identifiers."""
    suffix = LETTERS[copy // 26] + LETTERS[copy % 26]
    for name in resource.get("name") or []:
        name["family"] = f"{name.get('family', 'Doe')}{suffix.capitalize()}"
    year, month, day = resource["birthDate"].split("-")
    resource["birthDate"] = f"{int(year) - 1 - copy % 40:04d}-{month}-{min(int(day), 28):02d}"
    resource["identifier"] = [{**identifier, "value": f"{identifier.get('value', '')}-{copy}"}
                              for identifier in resource.get("identifier") or []
                              if identifier.get("system") != "http://hl7.org/fhir/sid/us-ssn"]
    return resource


def replicate(folder: Path, copies: int) -> int:
    """Write the replicated bulk NDJSON into `folder`; returns how many resources it holds."""
    written = 0
    with (folder / "shared.ndjson").open("w") as out:
        for kind in SHARED_FILES:
            for line in _lines(kind):
                out.write(line + "\n")
                written += 1
    ids = {json.loads(line)["id"] for kind in CHART_FILES for line in _lines(kind)}
    with (folder / "charts.ndjson").open("w") as out:
        for copy in range(copies):
            def renamed(match: re.Match[str], copy: int = copy) -> str:
                token = match.group(0)
                return f"{token[:-4]}{copy:04d}" if token in ids else token

            for kind in CHART_FILES:
                for line in _lines(kind):
                    text = UUID.sub(renamed, line)
                    if kind == "Patient":
                        text = json.dumps(_person(json.loads(text), copy))
                    out.write(text + "\n")
                    written += 1
    return written


def measure(engine: str, work: Path) -> dict[str, Any]:
    import django

    django.setup()
    from django.apps import apps

    from bench.interop import IMPORTED_MODELS, _copy_rows, _user
    from chartdesk.interop.fhir.importer import FhirImporter

    resources = replicate(work, COPIES)
    him = _user("him_manager", "bench-him")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    report = FhirImporter(requested_by=him, source="bench").run(work)
    import_s = time.perf_counter() - started
    assert not report.problems, [str(problem) for problem in report.problems[:3]]
    assert sum(report.created.values()) == resources, report.created
    rows = {label: list(apps.get_model(label).objects.all()) for label in IMPORTED_MODELS}
    started = time.perf_counter()
    inserted = _copy_rows(rows)
    raw_s = time.perf_counter() - started
    import_rate, raw_rate = resources / import_s, inserted / raw_s
    # The box may be shared: the 1-minute load average before and after, next to the figures.
    load_average = f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    return {f"fhir_import_load_average_{engine}": load_average,
            f"fhir_import_resources_{engine}": resources,
            f"fhir_import_resources_per_s_{engine}": round(import_rate, 1),
            f"raw_insert_rows_{engine}": inserted, f"raw_insert_rows_per_s_{engine}": round(raw_rate, 1),
            f"fhir_import_to_raw_ratio_{engine}": round(import_rate / raw_rate, 4)}


def _child(engine: str, database_url: str, work: Path) -> dict[str, Any]:
    env = {**os.environ, "CHARTDESK_DATABASE_URL": database_url, "CHARTDESK_VAR_DIR": str(work),
           "DJANGO_SETTINGS_MODULE": "chartdesk.settings", "CHARTDESK_FAST_PASSWORD_HASHER": "1"}
    env.pop("CHARTDESK_MODE", None)
    subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env, cwd=REPO,
                   check=True)
    done = subprocess.run([sys.executable, "-m", "bench._fhir_import", "--measure", engine, str(work)], env=env,
                          cwd=REPO, check=True, stdout=subprocess.PIPE, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def on_sqlite() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-fhir-") as folder:
        work = Path(folder)
        return _child("sqlite", f"sqlite:///{work / 'bench.sqlite3'}", work)


def on_postgres() -> dict[str, Any]:
    from bench._pg import throwaway_database

    with throwaway_database("fhir import") as database:
        if database is None:
            return {}
        with tempfile.TemporaryDirectory(prefix="chartdesk-bench-fhir-pg-") as folder:
            return _child("pg", database.url, Path(folder))


def run(engines: tuple[str, ...] = ("sqlite", "pg")) -> dict[str, Any]:
    if not (SYNTHEA / "Patient.000.ndjson").exists():
        print(f"fhir import: SKIPPED: the Synthea sample is not at {SYNTHEA} (set CHARTDESK_BENCH_SYNTHEA)",
              flush=True)
        return {}
    result: dict[str, Any] = {"fhir_import_copies": COPIES}
    for engine in engines:
        print(f"fhir import: {engine}, {COPIES} copies of the Synthea sample...", flush=True)
        result.update(on_sqlite() if engine == "sqlite" else on_postgres())
    return result


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], Path(sys.argv[3]))), flush=True)
    else:
        print(json.dumps(run(tuple(sys.argv[1:]) or ("sqlite", "pg")), indent=2, sort_keys=True))
