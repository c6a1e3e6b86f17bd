"""Interoperability benchmark, on SQLite (synchronous=FULL), in a fresh migrated database:

- FHIR import against raw inserts, on SQLite and PostgreSQL: bench/_fhir_import.py (the Synthea
  sample replicated past 100,000 resources), keys suffixed _sqlite and _pg.
- fhir_read_p95_ms_100k: GET /fhir/Patient/<id>; fhir_search_<kind>_p95_ms_100k for the searches an
  API client makes (Patient by name, by birth date, by identifier (MRN); Encounter and Condition by
  patient), and fhir_search_p95_ms_100k over all of them together: through the whole Django stack
  with a bearer token, each request audited, on an index of 100,000 patients built as
  bench/patients.py builds it, with ENCOUNTERS_PER_PATIENT encounters and a condition each per patient
  (bulk inserts). Every search must find the patient it was made from.
- hl7_messages_per_s_1_sender / hl7_messages_per_s_8_senders: ADT A04 then A03 per patient to the
  real listener over real sockets, counted when acknowledged (AA, sent after the durable commit): one
  connection, then 8 connections at once (200 patients in all each time); the listener commits the
  messages that arrive together as one group. The same on PostgreSQL (a throwaway cluster) with the
  suffix _pg; hl7_load_average_1m (and _pg) is the highest 1-minute load average seen during the run,
  and hl7_follow_up_settled_s (and _pg) how long after the last ACK the listener had settled the last
  follow-up (completion analysis, FHIR versions) of the run.

`python -m bench.interop` runs it all; CHARTDESK_BENCH_PATIENTS changes the index size;
`--hl7`, `--api` and `--import` run one part alone (each in a fresh database) and print its figures
(`--hl7` on SQLite and PostgreSQL).
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
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
INDEX_PATIENTS = int(os.environ.get("CHARTDESK_BENCH_PATIENTS", "100000"))
HL7_PATIENTS = 200
HL7_SENDERS = 8
QUERIES = 300
ENCOUNTERS_PER_PATIENT = 2
SEED = 20261127


def _user(role: str, username: str) -> Any:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from chartdesk.accounts.roles import group_name

    user = get_user_model().objects.create_user(username=username, password=f"{username}-password-1")
    user.groups.add(Group.objects.get(name=group_name(role)))
    return get_user_model().objects.get(pk=user.pk)


IMPORTED_MODELS = ("patients.Patient", "patients.PatientName", "patients.PatientPhone", "patients.PatientAddress",
                   "patients.PatientIdentifier", "charts.Encounter", "clinical.Condition", "clinical.Procedure",
                   "charts.Document", "charts.DocumentVersion")


def _copy_rows(rows_by_model: dict[str, list[Any]]) -> int:
    """Insert copies of the given rows with plain bulk inserts (new keys, unique columns changed)."""
    from django.apps import apps
    from django.db import transaction

    inserted = 0
    new_pk: dict[str, dict[int, int]] = {}
    with transaction.atomic():
        for label in IMPORTED_MODELS:
            model = apps.get_model(label)
            copies = []
            for row in rows_by_model[label]:
                old = row.pk
                row.pk = None
                row.id = None
                for field in model._meta.concrete_fields:
                    if field.is_relation and field.related_model is not None:
                        target = field.related_model._meta.label
                        mapping = new_pk.get(target)
                        value = getattr(row, field.attname)
                        if mapping is not None and value in mapping:
                            setattr(row, field.attname, mapping[value])
                if label == "patients.Patient":
                    row.mrn = "B" + row.mrn[1:]
                if label == "charts.Encounter":
                    row.account_number = "B" + row.account_number
                if label == "charts.Document":
                    row.current_version_id = None
                copies.append((old, row))
            made = model.objects.bulk_create([row for _, row in copies])
            new_pk[label] = {old: row.pk for (old, _), row in zip(copies, made, strict=True)}
            inserted += len(made)
    return inserted


def _percentiles(samples: list[float]) -> tuple[float, float]:
    samples.sort()
    return round(statistics.median(samples), 2), round(samples[int(len(samples) * 0.95) - 1], 2)


def _chart_rows(patients: list[Any], user: Any) -> int:
    """Bulk-insert ENCOUNTERS_PER_PATIENT encounters and a condition each for every patient (plain
    inserts: the search is measured, not the writing); returns how many rows."""
    from datetime import UTC, datetime, timedelta

    from django.db import transaction

    from chartdesk.charts.models import Encounter
    from chartdesk.clinical.models import Condition

    made = 0
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    for first in range(0, len(patients), 5000):
        chunk = patients[first:first + 5000]
        with transaction.atomic():
            encounters = Encounter.objects.bulk_create([
                Encounter(patient=patient, account_number=f"S{patient.pk}-{visit}", encounter_class="outpatient",
                          admit_at=start + timedelta(days=(patient.pk * 7 + visit * 90) % 700), created_by=user)
                for patient in chunk for visit in range(ENCOUNTERS_PER_PATIENT)], batch_size=1000)
            conditions = Condition.objects.bulk_create([
                Condition(patient_id=encounter.patient_id, encounter=encounter, code_system="snomed",
                          code="44054006", display="Diabetes", recorded_at=encounter.admit_at, created_by=user)
                for encounter in encounters], batch_size=1000)
        made += len(encounters) + len(conditions)
    return made


def search_paths(rng: random.Random, patients: list[Any]) -> dict[str, list[str]]:
    """QUERIES requests of each kind an API client sends to find a patient or a patient's records."""
    from chartdesk.interop.fhir.common import MRN_SYSTEM

    chosen = [rng.choice(patients) for _ in range(QUERIES)]
    return {
        "name": [f"/fhir/Patient?family={p.family_name}&given={p.given_name}&_count=20" for p in chosen],
        "birthdate": [f"/fhir/Patient?birthdate={p.birth_date.isoformat()}&_count=20" for p in chosen],
        "identifier": [f"/fhir/Patient?identifier={MRN_SYSTEM}|{p.mrn}" for p in chosen],
        "encounter_by_patient": [f"/fhir/Encounter?patient=Patient/{p.pk}&_count=20" for p in chosen],
        "condition_by_patient": [f"/fhir/Condition?patient=Patient/{p.pk}&_count=20" for p in chosen],
    }


def measure_api(count: int) -> dict[str, Any]:
    from django.test import Client

    from bench.patients import build_index
    from chartdesk.interop.tokens import do_issue_token, do_register_api_client

    registrar = _user("registrar", "bench-api-registrar")
    admin = _user("administrator", "bench-admin")
    started = time.perf_counter()
    patients = build_index(count, registrar)
    chart_rows = _chart_rows(patients, registrar)
    from bench.patients import _analyze

    _analyze()
    build_s = time.perf_counter() - started
    api_client, secret = do_register_api_client("bench", user=registrar, scopes=["user/*.read"], acting_user=admin)
    token, _ = do_issue_token(api_client.client_id, secret)
    client = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Bearer {token}")
    rng = random.Random(SEED + 3)
    reads = [f"/fhir/Patient/{rng.choice(patients).pk}" for _ in range(QUERIES)]
    suffix = "100k" if count == 100_000 else f"{count // 1000}k"
    result: dict[str, Any] = {"index_patients": count, "index_chart_rows": chart_rows,
                              "index_build_s": round(build_s, 1)}
    every_search: list[float] = []
    for kind, paths in (("read", reads), *search_paths(rng, patients).items()):
        for path in paths[:10]:
            client.get(path)
        timings = []
        for path in paths:
            begun = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - begun) * 1000)
            assert response.status_code == 200, (path, response.content[:300])
            if kind != "read":
                assert response.json()["total"] >= 1, path  # each search finds the patient it was made from
        if kind != "read":
            every_search += timings
        p50, p95 = _percentiles(timings)
        label = "read" if kind == "read" else f"search_{kind}"
        result[f"fhir_{label}_p50_ms_{suffix}"], result[f"fhir_{label}_p95_ms_{suffix}"] = p50, p95
    result[f"fhir_search_p50_ms_{suffix}"], result[f"fhir_search_p95_ms_{suffix}"] = _percentiles(every_search)
    return result


def _hl7_feed(prefix: str, people: int, seed: int) -> list[str]:
    """ADT A04 then A03 for each of `people` synthetic patients (control ids and numbers start with `prefix`)."""
    from datetime import datetime, timedelta

    from bench.patients import People

    # Times relative to now: the synthetic people include babies born this year, and an admission may
    # be neither before the birth nor in the future.
    now = datetime.now()
    admitted, discharged = (f"{now - timedelta(hours=hours):%Y%m%d%H%M%S}" for hours in (2, 1))
    messages = []
    for index, registration in enumerate(People(seed).registrations(people)):
        header = "MSH|^~\\&|BENCH|MERCY|CHARTDESK|HIM|20250601083500||ADT^{event}^ADT_{event}|{control}|P|2.5.1"
        pid = (f"PID|1||{prefix}{index:06d}^^^MERCY^MR||{registration.family_name}^{registration.given_name}||"
               f"{registration.birth_date:%Y%m%d}|{registration.sex}")
        pv1 = ["PV1", "1", "I"] + [""] * 43
        pv1[19], pv1[44], pv1[45] = f"{prefix}{index:06d}", admitted, discharged
        for event in ("A04", "A03"):
            messages.append("\r".join([header.format(event=event, control=f"{prefix}{event}-{index}"), pid,
                                       "|".join(pv1)]) + "\r")
    return messages


def measure_hl7() -> dict[str, Any]:
    """Messages per second acknowledged AA by the real listener over real sockets: one sender, then
    HL7_SENDERS senders at once (each its own connection and patients, as separate interfaces are)."""
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from chartdesk.interop.hl7v2.client import ack_code, send_messages
    from chartdesk.interop.hl7v2.listener import MllpServer
    from chartdesk.interop.system_user import interface_user

    server = MllpServer(interface_user(), port=0)
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(30)
    result: dict[str, Any] = {}
    highest_load = os.getloadavg()[0]
    try:
        for senders in (1, HL7_SENDERS):
            feeds = [_hl7_feed(f"S{senders}N{number}P", HL7_PATIENTS // senders, SEED + 9 + number)
                     for number in range(senders)]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=senders) as pool:
                acks = [ack for done in pool.map(lambda feed: send_messages(feed, host="127.0.0.1", port=server.port),
                                                 feeds) for ack in done]
            elapsed = time.perf_counter() - started
            accepted = sum(1 for ack in acks if ack_code(ack) == "AA")
            assert accepted == sum(len(feed) for feed in feeds), [ack for ack in acks if ack_code(ack) != "AA"][:2]
            name = "sender" if senders == 1 else "senders"
            result[f"hl7_messages_{senders}_{name}"] = accepted
            result[f"hl7_messages_per_s_{senders}_{name}"] = round(accepted / elapsed, 1)
            highest_load = max(highest_load, os.getloadavg()[0])
            result["hl7_follow_up_settled_s"] = max(result.get("hl7_follow_up_settled_s", 0.0),
                                                    _follow_ups_settled(started + elapsed))
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        server.close()
    result["hl7_load_average_1m"] = round(highest_load, 2)
    return result


def _follow_ups_settled(last_ack: float) -> float:
    """Seconds from the last ACK until the listener has settled every follow-up (it does so between
    groups and when idle); read on a connection of this thread's own."""
    from django.db import connection

    from chartdesk.interop.models import Hl7FollowUp

    while Hl7FollowUp.objects.filter(done_at__isnull=True).exists():
        time.sleep(0.05)
    connection.close()
    return round(time.perf_counter() - last_ack, 2)


def measure(work: Path, count: int) -> dict[str, Any]:
    import django

    django.setup()
    result: dict[str, Any] = {}
    result.update(measure_hl7())
    result.update(measure_api(count))
    return result


def _bench_env(database_url: str, work: Path) -> dict[str, str]:
    env = {**os.environ, "CHARTDESK_DATABASE_URL": database_url, "CHARTDESK_VAR_DIR": str(work),
           "DJANGO_SETTINGS_MODULE": "chartdesk.settings", "CHARTDESK_FAST_PASSWORD_HASHER": "1"}
    env.pop("CHARTDESK_MODE", None)
    return env


def _hl7_on_postgres() -> dict[str, Any]:
    """The HL7 figures on a throwaway PostgreSQL cluster, keys suffixed _pg."""
    from bench._pg import throwaway_database

    with throwaway_database("hl7") as database:
        if database is None:
            return {}
        with tempfile.TemporaryDirectory(prefix="chartdesk-bench-hl7-pg-") as folder:
            work = Path(folder)
            env = _bench_env(database.url, work)
            subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env,
                           cwd=REPO, check=True)
            done = subprocess.run([sys.executable, "-m", "bench.interop", "--measure-hl7", str(work)], env=env,
                                  cwd=REPO, check=True, stdout=subprocess.PIPE, text=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {f"{key}_pg": value for key, value in figures.items()}


def run(*, part: str = "all") -> dict[str, Any]:
    from bench import _fhir_import

    result: dict[str, Any] = {
        "engine": "sqlite", "queries": QUERIES,
        "note": "SQLite, synchronous=FULL, fresh migrated database (PostgreSQL: a throwaway cluster with "
                "fsync=off). Import: the Synthea sample replicated, through the importer's bulk actions (audit "
                "event, source record and FHIR version per resource); raw inserts: the same domain rows copied "
                "with bulk_create in one transaction, same database, same run. API timings through the full "
                "Django stack with a bearer token, each request audited. HL7: A04+A03 per patient, one MLLP "
                "connection then 8 at once, ACK after commit (group commit).",
    }
    if part in ("all", "import"):
        result.update(_fhir_import.run())
    if part == "import":
        return result
    if part == "hl7":
        result.update(_hl7_on_postgres())
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-interop-") as folder:
        work = Path(folder)
        env = _bench_env(f"sqlite:///{work / 'bench.sqlite3'}", work)
        subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env, cwd=REPO,
                       check=True)
        if part == "hl7":
            command = ["--measure-hl7", str(work)]
        elif part == "api":
            command = ["--measure-api", str(work), str(INDEX_PATIENTS)]
        else:
            print(f"interop: HL7, then an index of {INDEX_PATIENTS:,} patients for the API...", flush=True)
            command = ["--measure", str(work), str(INDEX_PATIENTS)]
        done = subprocess.run([sys.executable, "-m", "bench.interop", *command], env=env, cwd=REPO, check=True,
                              stdout=subprocess.PIPE, text=True)
        result.update(json.loads(done.stdout.strip().splitlines()[-1]))
    return result


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(measure(Path(sys.argv[2]), int(sys.argv[3]))), flush=True)
    elif len(sys.argv) == 4 and sys.argv[1] == "--measure-api":
        import django

        django.setup()
        print(json.dumps(measure_api(int(sys.argv[3]))), flush=True)
    elif len(sys.argv) == 3 and sys.argv[1] == "--measure-hl7":
        import django

        django.setup()
        print(json.dumps(measure_hl7()), flush=True)
    elif sys.argv[1:] in (["--hl7"], ["--api"], ["--import"]):
        print(json.dumps(run(part=sys.argv[1][2:]), indent=2, sort_keys=True))
    else:
        print(json.dumps(run(), indent=2, sort_keys=True))
