"""Patient index benchmark: search latency on 100,000 synthetic patients, and registrations per
second through the real action, on SQLite and (where initdb/pg_ctl exist) on PostgreSQL.

The index is bulk-loaded by bench._mpi_bulk with the same rows and search keys that registration
writes (a test compares a loaded chart with a registered one), without one audit event per row. Each search is
measured through `search_patients`, audit event and all. Measuring runs in a child process with
CHARTDESK_DATABASE_URL pointing at a fresh database, migrated first, as a real installation is.

`python -m bench.patients` runs it alone; CHARTDESK_BENCH_PATIENTS changes the index size. Besides
patients.json, the search figures go into mpi.json under keys naming the index size
(`search_name_p95_ms_1m_sqlite`, `search_name_p95_ms_200k_pg`...), only those keys replaced, with the
load average of the shared machine before and after the run.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MPI_RESULTS = REPO / "bench" / "results" / "mpi.json"
PATIENTS = int(os.environ.get("CHARTDESK_BENCH_PATIENTS", "100000"))
QUERIES = 300
REGISTRATIONS = 200
SEED = 20261127
TARGET_P95_MS = 50.0

SYLLABLES = ("bar", "ken", "dal", "mor", "ton", "ley", "son", "ham", "wick", "ford", "ridge", "man", "stein",
             "berg", "ov", "ski", "ez", "elli", "ani", "ros", "vik", "gar", "lund", "ber", "cas", "tel", "nak",
             "mura", "oka", "ino", "sen", "dor", "fal", "quist", "ard", "ow", "ian", "zak", "pol", "ria")


# ---------------------------------------------------------------------------------------------
# Synthetic people (a long tail of names, as a real index has: the commonest family name is <1%)
# ---------------------------------------------------------------------------------------------

def name_pools() -> tuple[list[str], list[str], list[str]]:
    from chartdesk.core.demo.people import ORIGINS

    family = list(dict.fromkeys(name for origin in ORIGINS for name in origin.family))
    female = list(dict.fromkeys(name for origin in ORIGINS for name in origin.female))
    male = list(dict.fromkeys(name for origin in ORIGINS for name in origin.male))
    made_up = [(a + b).capitalize() for a in SYLLABLES for b in SYLLABLES if a != b]
    made_up += [(a + b + c).capitalize() for a in SYLLABLES[:20] for b in SYLLABLES[20:] for c in SYLLABLES[:10]]
    family += [name for name in made_up if name not in family]
    given_tail = [(a + b).capitalize() for a in SYLLABLES[:30] for b in ("a", "ia", "ina", "elle", "o", "us", "an")]
    return family, female + given_tail[::2], male + given_tail[1::2]


def zipf_weights(count: int, offset: int) -> list[float]:
    return [1.0 / (rank + offset) for rank in range(count)]


class People:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.family, self.female, self.male = name_pools()
        self.family_weights = zipf_weights(len(self.family), 25)
        self.female_weights = zipf_weights(len(self.female), 10)
        self.male_weights = zipf_weights(len(self.male), 10)
        self.today = date(2026, 11, 1)

    def registrations(self, count: int) -> list[Any]:
        from chartdesk.patients.schemas import AddressInput, IdentifierInput, PatientRegistration

        rng = self.rng
        families = rng.choices(self.family, self.family_weights, k=count)
        made = []
        for index in range(count):
            sex = rng.choice("FM")
            pool, weights = (self.female, self.female_weights) if sex == "F" else (self.male, self.male_weights)
            given = rng.choices(pool, weights)[0]
            born = self.today - timedelta(days=rng.randrange(0, 95 * 365))
            phones = (("mobile", f"{rng.randrange(201, 989)}{rng.randrange(200, 999)}{rng.randrange(0, 10000):04d}"),)
            identifiers = ()
            if index % 3 == 0:
                identifiers = (IdentifierInput(type="MB", issuer="Aetna", value=f"W{rng.randrange(10**8, 10**9)}"),)
            made.append(PatientRegistration(
                given_name=given, family_name=families[index], birth_date=born, sex=sex,
                ssn=f"{rng.randrange(1, 665):03d}{rng.randrange(1, 100):02d}{rng.randrange(1, 10000):04d}"
                if index % 4 == 0 else "",
                phones=phones, identifiers=identifiers,
                addresses=(AddressInput(line1=f"{rng.randrange(1, 9999)} Main St", city="Springfield", state="IL",
                                        postal_code="62704"),),
            ))
        return made


# ---------------------------------------------------------------------------------------------
# Child process: build the index, then measure
# ---------------------------------------------------------------------------------------------

def _bench_user() -> Any:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from chartdesk.accounts.roles import group_name

    user = get_user_model().objects.create_user(username="bench-registrar", password="bench-registrar-password")
    user.groups.add(Group.objects.get(name=group_name("registrar")))
    return get_user_model().objects.get(pk=user.pk)


LOAD_CHUNK = 100_000  # registrations generated and loaded at a time (memory stays bounded at 1,000,000)


def registrations_frame(registrations: list[Any]) -> Any:
    """People's registrations in the columns bench._mpi_bulk loads (one phone, address and
    identifier each at most, as People makes them)."""
    import pandas as pd

    rows = []
    for registration in registrations:
        address = registration.addresses[0] if registration.addresses else None
        phone = registration.phones[0] if registration.phones else ("", "")
        identifier = registration.identifiers[0] if registration.identifiers else None
        rows.append({
            "given_name": registration.given_name, "family_name": registration.family_name,
            "suffix": registration.suffix, "sex": registration.sex, "ssn": registration.ssn,
            "birth_date": registration.birth_date.isoformat() if registration.birth_date else "",
            "address_line": address.line1 if address else "", "city": address.city if address else "",
            "state": address.state if address else "", "postal_code": address.postal_code if address else "",
            "phone_use": phone[0], "phone": phone[1],
            "identifier_type": identifier.type if identifier else "",
            "identifier_issuer": identifier.issuer if identifier else "",
            "identifier_value": identifier.value if identifier else ""})
    return pd.DataFrame(rows)


def build_index(count: int, user: Any) -> list[Any]:
    """Bulk-load `count` patients with every row registration writes (bench._mpi_bulk); returns the
    patients, in the order they were made, with the fields the queries are drawn from."""
    from bench._mpi_bulk import bulk_load
    from chartdesk.patients.models import Patient

    people = People(SEED)
    ids: list[int] = []
    for start in range(0, count, LOAD_CHUNK):
        ids += bulk_load(registrations_frame(people.registrations(min(LOAD_CHUNK, count - start))), user=user)
    return list(Patient.objects.filter(pk__gte=ids[0], pk__lte=ids[-1]).order_by("pk")
                .only("pk", "mrn", "given_name", "family_name", "birth_date", "sex"))


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def name_queries(rng: random.Random, patients: list[Any], count: int) -> list[str]:
    from chartdesk.core.demo.people import NICKNAMES, transpose_typo

    queries = []
    for index in range(count):
        patient = rng.choice(patients)
        family, given = patient.family_name, patient.given_name
        kind = index % 6
        if kind == 0:
            queries.append(f"{family} {given}")
        elif kind == 1:
            queries.append(f"{given} {family}")
        elif kind == 2:
            queries.append(f"{family}, {given[:3]}")
        elif kind == 3:
            queries.append(f"{transpose_typo(rng, family)} {given}")
        elif kind == 4:
            queries.append(f"{NICKNAMES.get(given, given)} {family}")
        else:
            queries.append(family[: max(3, len(family) - 2)])  # a bare family-name fragment
    return queries


def timed(user: Any, queries: list[str]) -> dict[str, float]:
    from chartdesk.patients.search import search_patients

    for query in queries[:10]:
        search_patients(user, query)  # warm caches, as a running server has
    samples, cpu = [], []
    for query in queries:
        started, cpu_started = time.perf_counter(), time.process_time()
        search_patients(user, query)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    samples.sort()
    cpu.sort()
    # CPU time of this process beside wall time: on a shared machine the wall time mostly measures the
    # others' load, the CPU time what a search costs (SQLite runs in-process; PostgreSQL's own work is
    # outside it, so there only the wall time is the search's cost).
    return {"p50": round(statistics.median(samples), 2), "p95": round(samples[int(len(samples) * 0.95) - 1], 2),
            "max": round(samples[-1], 2), "cpu_p50": round(statistics.median(cpu), 2),
            "cpu_p95": round(cpu[int(len(cpu) * 0.95) - 1], 2)}


def measure(engine: str, count: int) -> dict[str, Any]:
    import django

    django.setup()
    from chartdesk.patients.actions import do_register_patient

    user = _bench_user()
    started = time.perf_counter()
    patients = build_index(count, user)
    _analyze()
    built_s = time.perf_counter() - started
    rng = random.Random(SEED + 1)
    result: dict[str, Any] = {f"index_build_s_{engine}": round(built_s, 1)}
    for kind, queries in {
        "name": name_queries(rng, patients, QUERIES),
        "dob": [f"{rng.choice(patients).birth_date:%m/%d/%Y}" for _ in range(QUERIES)],
        "mrn": [rng.choice(patients).mrn for _ in range(QUERIES)],
    }.items():
        timings = timed(user, queries)
        result[f"search_{kind}_p50_ms_{engine}"] = timings["p50"]
        result[f"search_{kind}_p95_ms_{engine}"] = timings["p95"]
        result[f"search_{kind}_max_ms_{engine}"] = timings["max"]
    fresh = People(SEED + 2).registrations(REGISTRATIONS)
    started = time.perf_counter()
    for registration in fresh:
        do_register_patient(registration, acting_user=user)
    result[f"registrations_per_s_{engine}"] = round(REGISTRATIONS / (time.perf_counter() - started), 1)
    return result


# ---------------------------------------------------------------------------------------------
# Parent: a fresh database per engine, migrated, then the child measures
# ---------------------------------------------------------------------------------------------

def _child(engine: str, database_url: str, work: Path) -> dict[str, Any]:
    env = {**os.environ, "CHARTDESK_DATABASE_URL": database_url, "CHARTDESK_VAR_DIR": str(work),
           "DJANGO_SETTINGS_MODULE": "chartdesk.settings", "CHARTDESK_FAST_PASSWORD_HASHER": "1"}
    env.pop("CHARTDESK_MODE", None)
    subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env, cwd=REPO,
                   check=True)
    done = subprocess.run([sys.executable, "-m", "bench.patients", "--measure", engine, str(PATIENTS)], env=env,
                          cwd=REPO, check=True, stdout=subprocess.PIPE, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _on_sqlite(work: Path) -> dict[str, Any]:
    print(f"patients: SQLite, building {PATIENTS:,} patients...", flush=True)
    return _child("sqlite", f"sqlite:///{work / 'bench.sqlite3'}", work)


def _on_postgres(work: Path) -> dict[str, Any]:
    from bench._pg import throwaway_database

    with throwaway_database("patients") as database:
        if database is None:
            return {}
        print(f"patients: PostgreSQL, building {PATIENTS:,} patients...", flush=True)
        return _child("pg", database.url, work)


def size_label(count: int) -> str:
    return f"{count // 1_000_000}m" if count % 1_000_000 == 0 else f"{count // 1000}k"


def record_in_mpi(result: dict[str, Any]) -> None:
    """Search figures by index size in mpi.json, replacing only these keys (other benchmarks write there)."""
    label = size_label(PATIENTS)
    figures = {key.replace("_ms_", f"_ms_{label}_"): value for key, value in result.items()
               if key.startswith("search_") and "_ms_" in key}
    figures[f"search_load_average_{label}"] = result["load_average"]
    held = json.loads(MPI_RESULTS.read_text()) if MPI_RESULTS.exists() else {}
    held.update(figures)
    MPI_RESULTS.write_text(json.dumps(held, indent=2, sort_keys=True) + "\n")


def run() -> dict[str, Any]:
    from bench._scale_results import load_average

    load_before = load_average()
    result: dict[str, Any] = {"patients": PATIENTS, "queries_per_kind": QUERIES, "registrations": REGISTRATIONS,
                              "target_p95_ms": TARGET_P95_MS,
                              "note": "PostgreSQL runs as a throwaway cluster with fsync=off; SQLite with "
                                      "synchronous=FULL. Each search includes its audit event."}
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-") as folder:
        result.update(_on_sqlite(Path(folder)))
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-pg-") as folder:
        result.update(_on_postgres(Path(folder)))
    result["load_average"] = f"before {load_before}, after {load_average()}"
    record_in_mpi(result)
    slow = [key for key, value in result.items() if "_p95_ms_" in key and value > TARGET_P95_MS]
    if slow:
        print(f"patients: over the {TARGET_P95_MS:.0f} ms p95 target: {', '.join(slow)}", flush=True)
    return result


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))), flush=True)
    else:
        print(json.dumps(run(), indent=2, sort_keys=True))
