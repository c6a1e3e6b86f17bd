"""Interoperability benchmark, on SQLite (synchronous=FULL), in a fresh migrated database:

- fhir_import_resources_per_s: `FhirImporter` on synthetic bulk NDJSON (patients, practitioners,
  encounters, conditions, procedures, notes), every resource validated and written through the
  domain actions with its audit event and source record.
- raw_insert_rows_per_s: the same rows the import created (patients with their names, phones,
  addresses and identifiers, encounters, conditions, procedures, documents and versions), copied
  with plain bulk inserts into the same database in the same run: the ceiling the importer is
  compared with.
- fhir_read_p95_ms_100k / fhir_search_p95_ms_100k: GET /fhir/Patient/<id> and
  GET /fhir/Patient?family=..&given=.. through the whole Django stack with a bearer token, on an
  index of 100,000 patients built as bench/patients.py builds it (each request audited).
- hl7_messages_per_s_1_sender / hl7_messages_per_s_8_senders: ADT A04 then A03 per patient to the
  real listener over real sockets, counted when acknowledged (AA, sent after the durable commit): one
  connection, then 8 connections at once (200 patients in all each time); the listener commits the
  messages that arrive together as one group.

`python -m bench.interop` runs it alone; CHARTDESK_BENCH_PATIENTS changes the index size;
`python -m bench.interop --hl7` runs the HL7 part alone (in a fresh database) and prints its figures.
"""

from __future__ import annotations

import base64
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
IMPORT_PATIENTS = 150
HL7_PATIENTS = 200
HL7_SENDERS = 8
QUERIES = 300
SEED = 20261127
NPIS = ("1234567893", "1245319599", "1003000126", "1679576722")


def synthetic_bulk(folder: Path, patients: int, rng: random.Random) -> int:
    """Bulk NDJSON like a Synthea export; returns how many resources it holds."""
    from bench.patients import People

    people = People(SEED + 7)
    practitioners = [{"resourceType": "Practitioner", "id": f"pr{i}", "name": [{"family": f"Doc{c}", "given": ["A"]}],
                      "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": npi}]}
                     for i, (npi, c) in enumerate(zip(NPIS, "bcde", strict=True))]
    lines: list[dict[str, Any]] = list(practitioners)
    for index, registration in enumerate(people.registrations(patients)):
        pid = f"p{index}"
        born = registration.birth_date  # visits are in 2024: nobody in this cohort is born after 2019
        born = born.replace(year=min(born.year, 2019), day=min(born.day, 28))
        lines.append({"resourceType": "Patient", "id": pid, "birthDate": born.isoformat(),
                      "gender": "female" if registration.sex == "F" else "male",
                      "name": [{"use": "official", "family": registration.family_name,
                                "given": [registration.given_name]}],
                      "identifier": [{"type": {"coding": [{"code": "MR"}]}, "system": "urn:bench", "value": pid}]})
        for visit in range(3):
            eid = f"e{index}-{visit}"
            day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            lines.append({"resourceType": "Encounter", "id": eid, "status": "finished",
                          "class": {"code": "AMB"}, "subject": {"reference": f"Patient/{pid}"},
                          "participant": [{"individual": {"reference": f"Practitioner/pr{visit}"}}],
                          "period": {"start": f"{day}T09:00:00Z", "end": f"{day}T09:30:00Z"}})
            lines.append({"resourceType": "Condition", "id": f"c{index}-{visit}",
                          "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006",
                                               "display": "Diabetes"}]},
                          "subject": {"reference": f"Patient/{pid}"}, "encounter": {"reference": f"Encounter/{eid}"},
                          "recordedDate": f"{day}T09:10:00Z"})
            lines.append({"resourceType": "Procedure", "id": f"x{index}-{visit}", "status": "completed",
                          "code": {"coding": [{"system": "http://snomed.info/sct", "code": "430193006",
                                               "display": "Medication reconciliation"}]},
                          "subject": {"reference": f"Patient/{pid}"}, "encounter": {"reference": f"Encounter/{eid}"},
                          "performedDateTime": f"{day}T09:20:00Z"})
            lines.append({"resourceType": "DocumentReference", "id": f"d{index}-{visit}", "status": "current",
                          "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3"}]},
                          "subject": {"reference": f"Patient/{pid}"}, "date": f"{day}T10:00:00Z",
                          "content": [{"attachment": {"contentType": "text/plain", "data": base64.b64encode(
                              f"Visit {visit}: stable, continue metformin.".encode()).decode()}}],
                          "context": {"encounter": [{"reference": f"Encounter/{eid}"}]}})
    (folder / "bulk.ndjson").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return len(lines)


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


def measure_import(work: Path) -> dict[str, Any]:
    from django.apps import apps

    from chartdesk.interop.fhir.importer import FhirImporter

    rng = random.Random(SEED)
    resources = synthetic_bulk(work, IMPORT_PATIENTS, rng)
    him = _user("him_manager", "bench-him")
    started = time.perf_counter()
    report = FhirImporter(requested_by=him, source="bench").run(work / "bulk.ndjson")
    import_s = time.perf_counter() - started
    assert not report.problems, report.problems[:3]
    rows = {label: list(apps.get_model(label).objects.all()) for label in IMPORTED_MODELS}
    started = time.perf_counter()
    inserted = _copy_rows(rows)
    raw_s = time.perf_counter() - started
    return {"fhir_import_resources": resources, "fhir_import_resources_per_s": round(resources / import_s, 1),
            "raw_insert_rows": inserted, "raw_insert_rows_per_s": round(inserted / raw_s, 1)}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    samples.sort()
    return round(statistics.median(samples), 2), round(samples[int(len(samples) * 0.95) - 1], 2)


def measure_api(count: int) -> dict[str, Any]:
    from django.test import Client

    from bench.patients import build_index
    from chartdesk.interop.tokens import do_issue_token, do_register_api_client

    registrar = _user("registrar", "bench-api-registrar")
    admin = _user("administrator", "bench-admin")
    started = time.perf_counter()
    patients = build_index(count, registrar)
    from bench.patients import _analyze

    _analyze()
    build_s = time.perf_counter() - started
    api_client, secret = do_register_api_client("bench", user=registrar, scopes=["user/*.read"], acting_user=admin)
    token, _ = do_issue_token(api_client.client_id, secret)
    client = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Bearer {token}")
    rng = random.Random(SEED + 3)
    reads = [rng.choice(patients).pk for _ in range(QUERIES)]
    searches = []
    for _ in range(QUERIES):
        patient = rng.choice(patients)
        searches.append(f"/fhir/Patient?family={patient.family_name}&given={patient.given_name}&_count=20")
    timings: dict[str, list[float]] = {"read": [], "search": []}
    for kind, paths in (("read", [f"/fhir/Patient/{pk}" for pk in reads]), ("search", searches)):
        for path in paths[:10]:
            client.get(path)
        for path in paths:
            begun = time.perf_counter()
            response = client.get(path)
            timings[kind].append((time.perf_counter() - begun) * 1000)
            assert response.status_code == 200, (path, response.content[:300])
    read_p50, read_p95 = _percentiles(timings["read"])
    search_p50, search_p95 = _percentiles(timings["search"])
    suffix = "100k" if count == 100_000 else f"{count // 1000}k"
    return {"index_patients": count, "index_build_s": round(build_s, 1),
            f"fhir_read_p50_ms_{suffix}": read_p50, f"fhir_read_p95_ms_{suffix}": read_p95,
            f"fhir_search_p50_ms_{suffix}": search_p50, f"fhir_search_p95_ms_{suffix}": search_p95}


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
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        server.close()
    return result


def measure(work: Path, count: int) -> dict[str, Any]:
    import django

    django.setup()
    result: dict[str, Any] = {}
    result.update(measure_import(work))
    result.update(measure_hl7())
    result.update(measure_api(count))
    return result


def run(*, hl7_only: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {
        "engine": "sqlite", "import_patients": IMPORT_PATIENTS, "queries": QUERIES,
        "note": "SQLite, synchronous=FULL, fresh migrated database. Import: synthetic bulk NDJSON through the "
                "domain actions (audit event and source record per resource); raw inserts: the same rows copied "
                "with bulk_create in one transaction. API timings through the full Django stack with a bearer "
                "token, each request audited. HL7: A04+A03 per patient, one MLLP connection then 8 at once, ACK "
                "after commit (group commit).",
    }
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-interop-") as folder:
        work = Path(folder)
        env = {**os.environ, "CHARTDESK_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
               "CHARTDESK_VAR_DIR": str(work), "DJANGO_SETTINGS_MODULE": "chartdesk.settings",
               "CHARTDESK_FAST_PASSWORD_HASHER": "1"}
        env.pop("CHARTDESK_MODE", None)
        subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env, cwd=REPO,
                       check=True)
        if hl7_only:
            command = ["--measure-hl7", str(work)]
        else:
            print(f"interop: import, HL7, then an index of {INDEX_PATIENTS:,} patients for the API...", flush=True)
            command = ["--measure", str(work), str(INDEX_PATIENTS)]
        done = subprocess.run([sys.executable, "-m", "bench.interop", *command], env=env, cwd=REPO, check=True,
                              stdout=subprocess.PIPE, text=True)
        result.update(json.loads(done.stdout.strip().splitlines()[-1]))
    return result


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(measure(Path(sys.argv[2]), int(sys.argv[3]))), flush=True)
    elif len(sys.argv) == 3 and sys.argv[1] == "--measure-hl7":
        import django

        django.setup()
        print(json.dumps(measure_hl7()), flush=True)
    elif sys.argv[1:] == ["--hl7"]:
        print(json.dumps(run(hl7_only=True), indent=2, sort_keys=True))
    else:
        print(json.dumps(run(), indent=2, sort_keys=True))
