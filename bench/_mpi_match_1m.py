"""Single-record matching (patients.linkage_match.match_record) against the 1,000,000-chart index
of bench._mpi_scale, kept by it in CHARTDESK_BENCH_MPI_DIR (the same loaded database the scan
measures).

Queries: a random sample of the planted duplicates (rows of the generator whose person is another
row's), each registered again as the chart holds it (names, suffix, birth date, sex, SSN, home
address and phone). The chart itself is in the index, so it is always a candidate: recall counts
whether another chart of the same person is offered (any band, and in the match band), and
precision is the share of the other charts offered that are the same person. Time is per call,
p50/p95/max after ten warm-up calls, on the shared machine (load average beside it).

`python -m bench._mpi_match_1m DIR`: `match_p95_ms_1m` and `single_match_speed_1m` in mpi.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
QUERIES = 300
SEED = 15


def _registration(patient: Any) -> Any:
    from chartdesk.core.crypto import decrypt_text
    from chartdesk.patients.schemas import AddressInput, PatientRegistration

    address = patient.addresses.filter(active=True).order_by("pk").first()
    phone = patient.phones.filter(active=True).order_by("pk").first()
    return PatientRegistration(
        given_name=patient.given_name, family_name=patient.family_name, suffix=patient.suffix,
        birth_date=patient.birth_date, sex=patient.sex, ssn=decrypt_text(patient.ssn_encrypted),
        phones=((phone.use, phone.number),) if phone else (),
        addresses=(AddressInput(line1=address.line1, city=address.city, state=address.state,
                                postal_code=address.postal_code),) if address else ())


def measure(work: Path) -> dict[str, Any]:
    import django

    django.setup()
    import numpy as np

    from chartdesk.patients.linkage_match import match_record
    from chartdesk.patients.models import Patient

    truth = np.load(work / "truth.npz")
    pks, persons = truth["pks"], truth["persons"]
    person_of = dict(zip(pks.tolist(), persons.tolist(), strict=True))
    duplicates = np.flatnonzero(persons != np.arange(len(persons)))
    sample = np.random.default_rng(SEED).choice(duplicates, size=min(QUERIES, len(duplicates)), replace=False)
    charts = Patient.objects.in_bulk([int(pks[i]) for i in sample])
    queries = [(int(pks[i]), _registration(charts[int(pks[i])])) for i in sample]
    for _, registration in queries[:10]:
        match_record(registration)  # warm caches (the compiled model, the page cache), as a running server has
    samples: list[float] = []
    cpu: list[float] = []
    found = found_match = offered = offered_true = 0
    for own, registration in queries:
        began, cpu_began = time.perf_counter(), time.process_time()
        candidates = match_record(registration)
        samples.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - cpu_began) * 1000)  # SQLite runs in-process: the call's own cost
        others = [(c.patient.pk, c.band) for c in candidates if c.patient.pk != own]
        same = [(pk, band) for pk, band in others if person_of.get(pk) == person_of[own]]
        found += bool(same)
        found_match += any(band == "match" for _, band in same)
        offered += len(others)
        offered_true += len(same)
    samples.sort()
    cpu.sort()
    count = len(queries)
    return {
        "patients": len(pks), "queries": count,
        "p50_ms": round(samples[count // 2], 2), "p95_ms": round(samples[int(count * 0.95) - 1], 2),
        "max_ms": round(samples[-1], 2), "cpu_p50_ms": round(cpu[count // 2], 2),
        "cpu_p95_ms": round(cpu[int(count * 0.95) - 1], 2),
        "recall": round(found / count, 4), "match_band_recall": round(found_match / count, 4),
        "precision": round(offered_true / offered, 4) if offered else None,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def run(work: Path) -> dict[str, Any]:
    env = {**os.environ, "CHARTDESK_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
           "CHARTDESK_VAR_DIR": str(work), "DJANGO_SETTINGS_MODULE": "chartdesk.settings"}
    env.pop("CHARTDESK_MODE", None)
    done = subprocess.run([sys.executable, "-m", "bench._mpi_match_1m", "--measure", str(work)], env=env, cwd=REPO,
                          check=True, stdout=subprocess.PIPE, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    if sys.argv[1] == "--measure":
        print(json.dumps(measure(Path(sys.argv[2]))), flush=True)
    else:
        figures = run(Path(sys.argv[1]))
        figures["note"] = ("python -m bench._mpi_match_1m: planted duplicates of the 1,000,000-chart synthetic "
                           "index registered again against it, SQLite (synchronous=FULL); wall time per call on "
                           "2 cores shared with other work.")
        path = REPO / "bench" / "results" / "mpi.json"
        held = json.loads(path.read_text())
        held["match_p95_ms_1m"] = figures["p95_ms"]
        held["single_match_speed_1m"] = figures
        path.write_text(json.dumps(held, indent=2, sort_keys=True) + "\n")
        print(json.dumps(figures, indent=2, sort_keys=True))
