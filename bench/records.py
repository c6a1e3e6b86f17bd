"""Records benchmark: deficiency analysis of finished encounters, the pick list for 5,000 expected
visits, and scanned pages indexed and filed per second, on SQLite (synchronous=FULL).

Rows are bulk-built (patients, encounters with their attending, H&Ps and discharge summaries, some
unsigned, some missing) without audit events; then each measured step runs through the real code:
`analyse_encounters` (with its audit events), `access_pick_list` (with its audit event), and the
scanning actions (upload with separator detection, index, second-person approval filing the pages
through charts' do_upload_document), for a PDF with a text layer and for an image-only PDF whose
separators are found by decoding the barcode in the page image.

`python -m bench.records` runs it alone; CHARTDESK_BENCH_ENCOUNTERS changes the encounter count.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ENCOUNTERS = int(os.environ.get("CHARTDESK_BENCH_ENCOUNTERS", "100000"))
PICK_VISITS = 5000
SCAN_DOCUMENTS = 50
IMAGE_SCAN_DOCUMENTS = 20
PAGES_PER_DOCUMENT = 3
SEED = 20261127


def _patients(count: int, rng: random.Random) -> list[Any]:
    from chartdesk.patients.models import Patient
    from chartdesk.patients.mrn import allocate_mrns

    mrns = allocate_mrns(count)
    rows = [Patient(mrn=mrn, given_name=f"Given{index % 997}", family_name=f"Family{index % 7919}",
                    birth_date=date(1930, 1, 1) + timedelta(days=rng.randrange(0, 90 * 365)), sex=rng.choice("FM"))
            for index, mrn in enumerate(mrns)]
    Patient.objects.bulk_create(rows, batch_size=2000)
    return list(Patient.objects.order_by("pk"))


def build_encounters(count: int) -> list[int]:
    """`count` discharged inpatient stays: 70% fully documented, 20% with an unsigned discharge summary,
    10% without one; every stay has a signed H&P on the day of admission."""
    from django.db import connection

    from chartdesk.charts.models import (
        CareRole,
        Document,
        DocumentVersion,
        Encounter,
        EncounterProvider,
        Provider,
    )

    rng = random.Random(SEED)
    patients = _patients(max(1, count // 2), rng)
    providers = Provider.objects.bulk_create([Provider(given_name=f"Doc{n}", family_name=f"Tor{n}", credentials="MD")
                                              for n in range(50)])
    now = datetime(2026, 10, 1, 12, tzinfo=UTC)
    encounters = []
    for index in range(count):
        admit = now - timedelta(days=rng.randrange(3, 700), hours=rng.randrange(0, 24))
        encounters.append(Encounter(patient=patients[index % len(patients)], account_number=f"B{index:09d}",
                                    encounter_class="inpatient", status="finished", admit_at=admit,
                                    discharge_at=admit + timedelta(days=rng.randrange(1, 8)),
                                    discharge_disposition="01"))
    Encounter.objects.bulk_create(encounters, batch_size=2000)
    encounters = list(Encounter.objects.order_by("pk"))
    attending = [providers[index % len(providers)] for index in range(len(encounters))]
    EncounterProvider.objects.bulk_create(
        [EncounterProvider(encounter=encounter, provider=doctor, role=CareRole.ATTENDING)
         for encounter, doctor in zip(encounters, attending, strict=True)], batch_size=2000)
    documents, signed = [], []
    for encounter, doctor in zip(encounters, attending, strict=True):
        documents.append(Document(patient_id=encounter.patient_id, encounter=encounter, document_type="34117-2",
                                  title="H&P", author=doctor, service_date=encounter.admit_at.date(), status="final"))
        signed.append(True)
        roll = rng.random()
        if roll < 0.9:
            documents.append(Document(patient_id=encounter.patient_id, encounter=encounter, document_type="18842-5",
                                      title="Discharge summary", author=doctor,
                                      service_date=encounter.discharge_at.date(),  # type: ignore[union-attr]
                                      status="final" if roll < 0.7 else "preliminary"))
            signed.append(roll < 0.7)
    Document.objects.bulk_create(documents, batch_size=2000)
    created = list(Document.objects.order_by("pk").values_list("pk", "created_at"))
    DocumentVersion.objects.bulk_create(
        [DocumentVersion(document_id=pk, number=1, text="Synthetic.", signed_at=at if is_signed else None,
                         attestation="Electronically signed" if is_signed else "")
         for (pk, at), is_signed in zip(created, signed, strict=True)], batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE charts_document SET current_version_id = (SELECT v.id FROM charts_documentversion v "
                       "WHERE v.document_id = charts_document.id)")
    return [encounter.pk for encounter in encounters]


def measure_analysis(encounter_ids: list[int]) -> dict[str, Any]:
    from chartdesk.completion.analysis import analyse_encounters
    from chartdesk.completion.models import Deficiency

    started = time.perf_counter()
    summary = analyse_encounters(encounter_ids)
    first = time.perf_counter() - started
    started = time.perf_counter()
    analyse_encounters(encounter_ids)
    again = time.perf_counter() - started
    return {
        "deficiency_analysis_encounters": len(encounter_ids),
        "deficiency_analysis_encounters_per_s": round(summary.encounters / first, 1),
        "deficiency_reanalysis_encounters_per_s": round(len(encounter_ids) / again, 1),
        "deficiencies_opened": Deficiency.objects.count(),
    }


def measure_pick_list(user: Any) -> dict[str, Any]:
    from chartdesk.filing.access import access_pick_list
    from chartdesk.filing.models import ExpectedVisit, FileRoom, PaperChart
    from chartdesk.patients.models import Patient

    rng = random.Random(SEED + 1)
    room = FileRoom.objects.create(facility="Bench", name="Main", filing_system="terminal-digit")
    patients = list(Patient.objects.order_by("?")[:PICK_VISITS])
    PaperChart.objects.bulk_create(
        [PaperChart(patient=patient, volume=1, file_room=room, barcode=f"C{patient.mrn}V01") for patient in patients],
        batch_size=2000)
    day = date(2026, 11, 2)
    ExpectedVisit.objects.bulk_create(
        [ExpectedVisit(patient=patient, expected_on=day, clinic=f"Clinic {rng.randrange(20)}") for patient in patients],
        batch_size=2000)
    started = time.perf_counter()
    picks = access_pick_list(user, day)
    elapsed = time.perf_counter() - started
    assert len(picks.to_pull) == len(patients)
    return {"picklist_s_5000": round(elapsed, 3)}


def _scan_and_file(content: bytes, name: str, pages: int, documents: int, clerk: Any, checker: Any) -> float:
    """Seconds to upload a batch (separators found by the real path), index and approve every document."""
    import io

    from chartdesk.filing import scanning
    from chartdesk.patients.models import Patient

    patients = list(Patient.objects.order_by("pk")[:documents])
    started = time.perf_counter()
    batch = scanning.do_upload_scan_batch(io.BytesIO(content), name=name, acting_user=clerk, expected_pages=pages)
    for scanned, patient in zip(batch.documents.order_by("first_page"), patients, strict=True):
        indexed = scanning.do_index_scanned_document(scanned, patient=patient, document_type="34109-9",
                                                     title="Outside records", service_date=date(2026, 1, 5),
                                                     acting_user=clerk)
        scanning.do_approve_scanned_document(indexed, acting_user=checker)
    return time.perf_counter() - started


def _batch_pages(documents: int) -> list[str]:
    pages: list[str] = []
    for number in range(documents):
        pages += ["SEP"] + [f"Document {number} page {page}" for page in range(PAGES_PER_DOCUMENT)]
    return pages


def measure_scanning(clerk: Any, checker: Any) -> dict[str, Any]:
    from tests.filing.scans import image_only_pdf, pdf_batch

    pages = _batch_pages(SCAN_DOCUMENTS)
    elapsed = _scan_and_file(pdf_batch(*pages), "bench.pdf", len(pages), SCAN_DOCUMENTS, clerk, checker)
    filed = SCAN_DOCUMENTS * PAGES_PER_DOCUMENT
    image_pages = _batch_pages(IMAGE_SCAN_DOCUMENTS)
    image_elapsed = _scan_and_file(image_only_pdf(*image_pages), "bench-image.pdf", len(image_pages),
                                   IMAGE_SCAN_DOCUMENTS, clerk, checker)
    image_filed = IMAGE_SCAN_DOCUMENTS * PAGES_PER_DOCUMENT
    return {"scan_index_pages_per_s": round(filed / elapsed, 1), "scan_pages_filed": filed,
            "scan_batch_pages_with_separators": len(pages),
            "scan_index_image_only_pages_per_s": round(image_filed / image_elapsed, 1),
            "scan_image_only_pages_filed": image_filed}


def measure(count: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from chartdesk.accounts.roles import group_name

    User = get_user_model()
    clerk = User.objects.create_user("bench-clerk", password="x")
    checker = User.objects.create_user("bench-checker", password="x")
    for user in (clerk, checker):
        user.groups.add(Group.objects.get(name=group_name("registrar")))
    clerk, checker = User.objects.get(pk=clerk.pk), User.objects.get(pk=checker.pk)
    started = time.perf_counter()
    ids = build_encounters(count)
    result: dict[str, Any] = {"build_s": round(time.perf_counter() - started, 1)}
    result.update(measure_analysis(ids))
    result.update(measure_pick_list(clerk))
    result.update(measure_scanning(clerk, checker))
    return result


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-records-") as folder:
        work = Path(folder)
        env = {**os.environ, "CHARTDESK_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
               "CHARTDESK_VAR_DIR": str(work), "DJANGO_SETTINGS_MODULE": "chartdesk.settings",
               "CHARTDESK_FAST_PASSWORD_HASHER": "1"}
        env.pop("CHARTDESK_MODE", None)
        subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env, cwd=REPO,
                       check=True)
        print(f"records: SQLite, {ENCOUNTERS:,} encounters...", flush=True)
        done = subprocess.run([sys.executable, "-m", "bench.records", "--measure", str(ENCOUNTERS)], env=env,
                              cwd=REPO, check=True, stdout=subprocess.PIPE, text=True)
    result = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    result["engine"] = "sqlite (synchronous=FULL)"
    result["note"] = ("First analysis opens the deficiencies and audits what changed (one event per patient whose "
                      "record changed, written through the audit chain's batch form); re-analysis finds nothing new. "
                      "Scanning counts upload, separator "
                      "split, index and second-person approval filing each document into the chart; the text-layer "
                      "batch finds separators by the PDF text, the image-only batch renders every page at 100 dpi "
                      "and decodes its barcodes.")
    return result


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(int(sys.argv[2]))), flush=True)
    else:
        print(json.dumps(run(), indent=2, sort_keys=True))
