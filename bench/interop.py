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
- hl7_messages_per_s: ADT A04 then A03 per patient over one MLLP connection to the real listener,
  counted when acknowledged (AA).

`python -m bench.interop` runs it alone; CHARTDESK_BENCH_PATIENTS changes the index size.
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


def measure_hl7() -> dict[str, Any]:
    import asyncio
    import threading

    from bench.patients import People
    from chartdesk.interop.hl7v2.client import ack_code, send_messages
    from chartdesk.interop.hl7v2.listener import MllpServer
    from chartdesk.interop.system_user import interface_user

    messages = []
    for index, registration in enumerate(People(SEED + 9).registrations(HL7_PATIENTS)):
        header = "MSH|^~\\&|BENCH|MERCY|CHARTDESK|HIM|20250601083500||ADT^{event}^ADT_{event}|{control}|P|2.5.1"
        pid = (f"PID|1||B{index:06d}^^^MERCY^MR||{registration.family_name}^{registration.given_name}||"
               f"{registration.birth_date:%Y%m%d}|{registration.sex}")
        pv1 = ["PV1", "1", "I"] + [""] * 43
        pv1[19], pv1[44], pv1[45] = f"H{index:06d}", "20250601080000", "20250603100000"
        for event in ("A04", "A03"):
            messages.append("\r".join([header.format(event=event, control=f"{event}-{index}"), pid,
                                       "|".join(pv1)]) + "\r")
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
    try:
        started = time.perf_counter()
        acks = send_messages(messages, host="127.0.0.1", port=server.port)
        elapsed = time.perf_counter() - started
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        server.close()
    accepted = sum(1 for ack in acks if ack_code(ack) == "AA")
    assert accepted == len(messages), [ack for ack in acks if ack_code(ack) != "AA"][:2]
    return {"hl7_messages": accepted, "hl7_messages_per_s": round(accepted / elapsed, 1)}


def measure(work: Path, count: int) -> dict[str, Any]:
    import django

    django.setup()
    result: dict[str, Any] = {}
    result.update(measure_import(work))
    result.update(measure_hl7())
    result.update(measure_api(count))
    return result


def run() -> dict[str, Any]:
    result: dict[str, Any] = {
        "engine": "sqlite", "import_patients": IMPORT_PATIENTS, "queries": QUERIES,
        "note": "SQLite, synchronous=FULL, fresh migrated database. Import: synthetic bulk NDJSON through the "
                "domain actions (audit event and source record per resource); raw inserts: the same rows copied "
                "with bulk_create in one transaction. API timings through the full Django stack with a bearer "
                "token, each request audited. HL7: A04+A03 per patient on one MLLP connection, ACK after commit.",
    }
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-interop-") as folder:
        work = Path(folder)
        env = {**os.environ, "CHARTDESK_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
               "CHARTDESK_VAR_DIR": str(work), "DJANGO_SETTINGS_MODULE": "chartdesk.settings",
               "CHARTDESK_FAST_PASSWORD_HASHER": "1"}
        env.pop("CHARTDESK_MODE", None)
        subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env, cwd=REPO,
                       check=True)
        print(f"interop: import, HL7, then an index of {INDEX_PATIENTS:,} patients for the API...", flush=True)
        done = subprocess.run([sys.executable, "-m", "bench.interop", "--measure", str(work), str(INDEX_PATIENTS)],
                              env=env, cwd=REPO, check=True, stdout=subprocess.PIPE, text=True)
        result.update(json.loads(done.stdout.strip().splitlines()[-1]))
    return result


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(measure(Path(sys.argv[2]), int(sys.argv[3]))), flush=True)
    else:
        print(json.dumps(run(), indent=2, sort_keys=True))
