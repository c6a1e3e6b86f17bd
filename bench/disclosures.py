"""Release-of-information benchmark: the time to release a 500-page packet, and de-identification
speed and leak rate on synthetic notes with planted identifiers.

release_packet_s_500_pages   seconds for do_release_request on a request whose documents hold 500
                             pages (a 480-page stored PDF with text on every page, one phrase
                             redaction on it, and text notes), cover letter, stamps and manifest
                             included, on a fresh migrated SQLite database.
deid_notes_per_s             notes de-identified per second by the TextScrubber (and per CPU-second).
deid_identifier_leak_rate    identifiers surviving / identifiers planted, over DEID_NOTES notes (synthetic
                             notes written here: an in-sample figure).
deid_leak_rate_external      gold PHI phrases of the held-out half of the PhysioNet deid nursing notes that
                             survive the scrubber, with the rate per type and the size and origin of the set
                             (bench/deid_external.py; nobody here wrote those notes or tuned on that half).
deid_overscrub_rate          words outside every gold PHI phrase of the same notes that the scrubber removed
                             (`_numeric`: the same over numbers: doses, vitals, lab values).
deid_in_sample_tuning_split  the same figures on the tuning half: in-sample.

`python -m bench.disclosures` runs it alone.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEID_NOTES = int(os.environ.get("CHARTDESK_BENCH_DEID_NOTES", "2000"))
PACKET_PAGES = 500
STORED_PDF_PAGES = 480
SEED = 20261127

GIVEN = ["Maria", "James", "Aisha", "Chen", "Olga", "Tomas", "Priya", "Kwame", "Ingrid", "Mateo", "Fatima", "Hiroshi"]
FAMILY = ["Garcia", "Okafor", "Lindqvist", "Nakamura", "Haddad", "Kowalski", "Fernandes", "Abernathy", "Mbeki"]
STAFF = [("Ada", "Lovelace"), ("Rosalind", "Franklin"), ("Virginia", "Apgar"), ("Charles", "Drew")]
STREETS = ["Juniper Hollow Road", "Elm Street", "Harbor View Drive", "Maple Avenue", "Quarry Lane"]
CITIES = ["Pinecrest Falls", "Riverton", "Lakeside", "Oak Harbor", "Millbrook"]
RELATIONS = ["daughter", "son", "wife", "husband", "neighbor", "sister"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def synthetic_note(rng: random.Random) -> tuple[str, list[str], list[str], list[str]]:
    """A progress note with identifiers planted; returns (text, planted values, names known, cities known)."""
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    staff_given, staff_family = rng.choice(STAFF)
    relative = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
    city = rng.choice(CITIES)
    street = f"{rng.randrange(10, 9999)} {rng.choice(STREETS)}"
    zip_code = rng.choice(["03601", "02139", "62704", "89301", "10027"]) + rng.choice(["", f"-{_digits(rng, 4)}"])
    month, day, year = rng.randrange(1, 13), rng.randrange(1, 29), rng.randrange(2015, 2026)
    dates = [rng.choice([f"{month:02d}/{day:02d}/{year}", f"{month}/{day}/{year % 100:02d}"]),
             rng.choice([f"{year}-{month:02d}-{day:02d}", f"{day} {MONTHS[month - 1][:3]} {year}"]),
             rng.choice([f"{MONTHS[month - 1]} {day}, {year}", f"{MONTHS[month - 1]} {day}th {year}"])]
    age = rng.randrange(90, 104)
    area, exchange = rng.randrange(201, 989), rng.randrange(200, 999)
    phone = rng.choice([f"({area}) {exchange}-{_digits(rng, 4)}", f"{area}-{exchange}-{_digits(rng, 4)}",
                        f"{area} {exchange} {_digits(rng, 4)}", f"+1 {area}.{exchange}.{_digits(rng, 4)}"])
    fax = f"{rng.randrange(201, 989)}.{rng.randrange(200, 999)}.{_digits(rng, 4)}"
    email = rng.choice([f"{given.lower()}.{family.lower()}{rng.randrange(1, 99)}@example.org",
                        f"{given.upper()}{rng.randrange(1, 99)}@MAIL.EXAMPLE.NET"])
    ssn = f"{rng.randrange(100, 899)}-{rng.randrange(10, 99)}-{_digits(rng, 4)}"
    mrn = _digits(rng, 8)
    member = f"{rng.choice(['XK', 'QH', 'BC'])}{_digits(rng, 9)}"
    account = f"V{_digits(rng, 8)}"
    licence = f"S{_digits(rng, 3)}-{_digits(rng, 4)}-{_digits(rng, 4)}"
    vin = "1HGCM8" + "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(11))
    device = f"PM-{_digits(rng, 5)}-{_digits(rng, 4)}"
    url = rng.choice([f"https://portal.example.org/p/{_digits(rng, 6)}", f"www.example-health.com/r/{_digits(rng, 5)}"])
    ip = f"{rng.randrange(11, 223)}.{rng.randrange(0, 255)}.{rng.randrange(0, 255)}.{rng.randrange(1, 254)}"
    code = f"QX-{_digits(rng, 4)}-{_digits(rng, 4)}"
    sentences = [
        rng.choice([f"{given} {family} is a {age}-year-old seen on {dates[0]} for follow-up of heart failure.",
                    f"Mrs. {family} ({given}), {age}-year-old, seen on {dates[0]} for heart failure."]),
        f"Lives at {street}, {city}, NH {zip_code} with her {rng.choice(RELATIONS)} {relative}.",
        f"Contact phone {phone}, fax {fax}, email {email}.",
        f"SSN {ssn}. MRN: {mrn}. Member ID {member}. Account number {account}.",
        f"Driver's licence {licence}; car VIN {vin}. Pacemaker serial {device}.",
        f"Patient portal {url} accessed from {ip}. Research code {code}.",
        f"Echo on {dates[1]} showed EF 35%. BP 128/76, HR 72, pain 2/10, HbA1c 6.1%.",
        f"Seen with Dr. {staff_given} {staff_family}; next visit {dates[2]}.",
    ]
    rng.shuffle(sentences)
    planted = [given, family, relative, street, city, zip_code, *dates, f"{age}-year-old", phone, fax, email, ssn,
               mrn, member, account, licence, vin, device, url, ip, code, staff_family]
    return " ".join(sentences), planted, [given, family, staff_given, staff_family], [city]


def measure_deid(count: int) -> dict[str, Any]:
    from chartdesk.disclosures.deid.safe_harbor import TextScrubber

    rng = random.Random(SEED)
    notes = [synthetic_note(rng) for _ in range(count)]
    planted = survived = 0
    TextScrubber().scrub("Warm up: the model and gazetteers load once, from Pittsburgh.")
    started, cpu_started = time.perf_counter(), time.process_time()
    outputs = [TextScrubber(known_names=names, cities=cities).scrub(text) for text, _, names, cities in notes]
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    leaks: dict[str, int] = {}
    for (_, values, _, _), output in zip(notes, outputs, strict=True):
        lowered = output.lower()
        for value in values:
            planted += 1
            if value.lower() in lowered:
                survived += 1
                leaks[value] = leaks.get(value, 0) + 1
    return {
        "deid_notes": count,
        "deid_identifiers_planted": planted,
        "deid_identifiers_surviving": survived,
        "deid_notes_per_s": round(count / elapsed, 1),
        # CPU time too: on a shared machine the wall-clock rate says more about the neighbours.
        "deid_notes_per_cpu_s": round(count / cpu, 1),
        "deid_identifier_leak_rate": round(survived / planted, 6),
        "deid_leak_examples": sorted(leaks, key=leaks.get, reverse=True)[:10],  # type: ignore[arg-type]
    }


def _text_pdf(pages: int) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    for number in range(1, pages + 1):
        canvas.drawString(72, 720, f"Scanned outside record, page {number}.")
        canvas.drawString(72, 700, "Medication list reviewed; no changes. Neighbour Jon Example drove him in.")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def measure_packet() -> dict[str, Any]:
    import django

    django.setup()
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone
    from tests.support import factories

    from chartdesk.charts.actions import do_create_note, do_sign_document, do_upload_document
    from chartdesk.disclosures.actions import (
        do_add_redaction,
        do_log_request,
        do_release_request,
        do_send_to_quality_check,
        do_start_processing,
    )

    provider_user = factories.make_user("provider")
    factories.make_provider(user=provider_user)
    provider_user = type(provider_user).objects.get(pk=provider_user.pk)
    roi = factories.make_user("roi")
    patient = factories.make_patient("Bench", "Packet")
    scan = do_upload_document(
        patient, upload=SimpleUploadedFile("outside.pdf", _text_pdf(STORED_PDF_PAGES), content_type="application/pdf"),
        document_type="34109-9", title="Outside records", service_date=timezone.localdate() - timedelta(days=30),
        acting_user=provider_user, author=provider_user.provider,
    )
    do_sign_document(scan, acting_user=provider_user)
    note_text = "\n".join(f"Line {n}: patient doing well, ambulating, tolerating diet." for n in range(60))
    for index in range(12):
        note = do_create_note(patient, document_type="11506-3", title=f"Progress note {index + 1}", text=note_text,
                              service_date=timezone.localdate() - timedelta(days=index + 1), acting_user=provider_user,
                              author=provider_user.provider)
        do_sign_document(note, acting_user=provider_user)
    request = do_log_request(patient, requester_type="provider", requester_name="Dr Lee", purpose="treatment",
                             acting_user=roi)
    do_start_processing(request, acting_user=roi)
    do_add_redaction(request, scan, phrase="Jon Example", reason="Third party", acting_user=roi)
    do_send_to_quality_check(request, acting_user=roi)
    started, cpu_started = time.perf_counter(), time.process_time()
    packet = do_release_request(request, acting_user=roi)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {"release_packet_s_500_pages": round(elapsed * PACKET_PAGES / packet.page_count, 2),
            "release_packet_pages": packet.page_count, "release_packet_s_measured": round(elapsed, 2),
            "release_packet_cpu_s": round(cpu, 2)}


def run() -> dict[str, Any]:
    result: dict[str, Any] = {"note": "SQLite, synchronous=FULL; packet time scaled to 500 pages from the pages "
                                      "actually built (cover, documents, statements, manifest)."}
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-roi-") as folder:
        env = {**os.environ, "CHARTDESK_DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
               "CHARTDESK_VAR_DIR": folder, "DJANGO_SETTINGS_MODULE": "chartdesk.settings",
               "CHARTDESK_FAST_PASSWORD_HASHER": "1"}
        env.pop("CHARTDESK_MODE", None)
        subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env, cwd=REPO,
                       check=True)
        done = subprocess.run([sys.executable, "-m", "bench.disclosures", "--measure-packet"], env=env, cwd=REPO,
                              check=True, stdout=subprocess.PIPE, text=True)
        result.update(json.loads(done.stdout.strip().splitlines()[-1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chartdesk.settings")
    result.update(measure_deid(DEID_NOTES))
    import django

    django.setup()
    from bench import deid_external

    result.update(deid_external.run())
    return result


if __name__ == "__main__":
    if sys.argv[1:] == ["--measure-packet"]:
        print(json.dumps(measure_packet()), flush=True)
    else:
        print(json.dumps(run(), indent=2, sort_keys=True))
