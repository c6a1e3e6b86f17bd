"""The whole-index duplicate scan at scale: 1,000,000 synthetic patients (bench/_mpi_synthetic.py),
5% planted duplicates and 8% look-alike household members, the truth kept.

Measured in a child process on a fresh, migrated SQLite database (synchronous=FULL):
1. the generator streams chunks of 100,000 rows; each chunk is bulk-inserted with the rows and
   search keys registration writes (the bench.patients bulk path: `build_patient`,
   `registration_rows`, no audit event per bulk row) and appended to a CSV in the documented
   `chartdesk patients import` layout (which has no suffix column: Jr/Sr live only in the database);
2. `chartdesk patients duplicates scan` runs once, timed (`scan_1m_s`, wall time);
3. the work queue's pairs are compared with the truth: recall and precision of pairs (a pair of
   one person's records counts, whichever records the planted duplicate came from), and the
   household members (twins, Jr/Sr, spouses, parent and child) the queue pairs as if one person,
   in the "match" band and in all.

`python -m bench._mpi_scale` runs it (not part of `bench.run_all`: loading 1,000,000 rows takes
about an hour on two busy cores); CHARTDESK_BENCH_MPI_PATIENTS changes the size (default 1,000,000).
Loading 1,000,000 rows takes longer than the scan: CHARTDESK_BENCH_MPI_DIR names a folder that
keeps the loaded database, the CSV and the truth, so a later run measures the scan again without
loading (each scan runs on a copy of the loaded database, from an empty work queue).
Results go into bench/results/mpi.json under "scale" ("scale_<N>" for another size). `python -m
bench._mpi_scale score` times the scan's scoring stage alone on the generated rows held in memory
("scale_score_only_<N>").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PATIENTS = int(os.environ.get("CHARTDESK_BENCH_MPI_PATIENTS", "1000000"))
SEED = 20261207
IMPORT_COLUMNS = ["source_id", "given_name", "family_name", "birth_date", "sex", "address_line", "city", "state",
                  "postal_code", "phone", "ssn"]


def load(count: int, user: Any, csv_path: Path) -> tuple[Any, Any, Any, dict[str, float]]:
    """Generate and bulk-load (bench._mpi_bulk: the rows registration writes, straight into the
    tables); returns (patient pk, person, household) per row and the timings."""
    import numpy as np

    from bench._mpi_bulk import bulk_load
    from bench._mpi_synthetic import generate

    pks, persons, households = [], [], []
    generating = inserting = 0.0
    started = time.perf_counter()
    header = True
    for frame in generate(count, SEED):
        generating += time.perf_counter() - started
        frame[["source_id", *IMPORT_COLUMNS[1:]]].to_csv(csv_path, mode="a", header=header, index=False)
        header = False
        begun = time.perf_counter()
        pks += bulk_load(frame, user=user)
        persons.append(frame["person"].to_numpy())
        households.append(frame["household"].to_numpy())
        inserting += time.perf_counter() - begun
        print(f"mpi scale: {len(pks):,} patients loaded ({inserting:.0f} s)", file=sys.stderr, flush=True)
        started = time.perf_counter()
    timings = {"generate_s": round(generating, 1), "insert_s": round(inserting, 1)}
    return np.array(pks), np.concatenate(persons), np.concatenate(households), timings


def judge(pairs: list[tuple[int, int, str]], pks: Any, persons: Any, households: Any) -> dict[str, Any]:
    """Recall and precision of the queue's pairs against the truth; household false matches."""
    from bench._mpi_synthetic import truth_pairs

    position = {int(pk): i for i, pk in enumerate(pks.tolist())}
    truth = truth_pairs(persons)
    found = {tuple(sorted((position[low], position[high]))): band for low, high, band in pairs}
    true_found = sum(1 for pair in found if pair in truth)
    match_band = {pair for pair, band in found.items() if band == "match"}
    true_in_match = sum(1 for pair in match_band if pair in truth)
    false = [pair for pair in found if pair not in truth]
    household = [pair for pair in false if households[pair[0]] == households[pair[1]]]
    household_pairs = _household_pairs(persons, households)
    return {
        "duplicate_pairs": len(truth),
        "pairs": len(found),
        "recall": round(true_found / len(truth), 4) if truth else None,
        "precision": round(true_found / len(found), 4) if found else None,
        "match_band_pairs": len(match_band),
        "match_band_recall": round(true_in_match / len(truth), 4) if truth else None,
        "match_band_precision": round(true_in_match / len(match_band), 4) if match_band else None,
        "household_member_pairs": household_pairs,
        "household_false_pairs": len(household),
        "household_false_pairs_match_band": sum(1 for pair in household if found[pair] == "match"),
        "other_false_pairs": len(false) - len(household),
    }


def _household_pairs(persons: Any, households: Any) -> int:
    """Pairs of different people in one household (the look-alikes the queue must not merge)."""
    import pandas as pd

    frame = pd.DataFrame({"person": persons, "household": households}).drop_duplicates()
    sizes = frame.groupby("household").size()
    return int((sizes * (sizes - 1) // 2).sum())


def build(count: int, work: Path) -> dict[str, Any]:
    """Load the index into the (migrated) database and keep the truth beside it in truth.npz."""
    import django

    django.setup()
    import numpy as np
    from django.db import connection
    from tests.support import factories

    user = factories.make_user("him_manager", username="bench-him")
    pks, persons, households, timings = load(count, user, work / "index.csv")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    np.savez(work / "truth.npz", pks=pks, persons=persons, households=households)
    timings["csv_mib"] = round((work / "index.csv").stat().st_size / 2**20, 1)
    return timings


def measure(work: Path) -> dict[str, Any]:
    """One scan of the loaded index, timed, and its pairs judged against the truth."""
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command

    from chartdesk.patients.models import DuplicateCandidate

    truth = np.load(work / "truth.npz")
    pks, persons, households = truth["pks"], truth["persons"], truth["households"]
    count = len(pks)
    started = time.perf_counter()
    call_command("patients", "duplicates", "scan", "--user", "bench-him", stdout=StringIO())
    scan_s = time.perf_counter() - started
    pairs = list(DuplicateCandidate.objects.values_list("patient_low_id", "patient_high_id", "band"))
    return {"patients": count, "scan_s": round(scan_s, 1), **judge(pairs, pks, persons, households)}


def score_only(count: int, rules: str) -> dict[str, Any]:
    """The scan's scoring stage alone (the model's columns, Splink's blocking and prediction, the
    household rules) on `count` generated rows held in memory: no database read, no queue write.
    `rules` names a rule set of bench/_mpi_blocking.py ("scan" is the scan's own)."""
    import django

    django.setup()
    import numpy as np
    import pandas as pd

    from bench._mpi_blocking import RULE_SETS, splink_rules
    from bench._mpi_synthetic import generate
    from chartdesk.core.crypto import keyed_digest
    from chartdesk.patients.linkage import load_model, score

    raw = pd.concat(list(generate(count, SEED)), ignore_index=True)
    records = pd.DataFrame({
        "unique_id": raw.index.astype(str), "given_name": raw["given_name"], "family_name": raw["family_name"],
        "birth_date": raw["birth_date"], "sex": raw["sex"], "suffix": raw["suffix"],
        "address": raw["address_line"], "postal_code": raw["postal_code"], "phone": raw["phone"],
        "ssn_key": raw["ssn"].map(lambda ssn: keyed_digest(ssn) if ssn else ""), "ssn_last4": raw["ssn"].str[-4:]})
    blocking = None if rules == "scan" else splink_rules(RULE_SETS[rules])
    started = time.perf_counter()
    scored = score(records, load_model(), blocking_rules=blocking)
    seconds = time.perf_counter() - started
    pairs = [(int(pair.left), int(pair.right), pair.band) for pair in scored]
    positions = np.arange(count)
    return {"rows": count, "rules": rules, "score_s": round(seconds, 1),
            **judge(pairs, positions, raw["person"].to_numpy(), raw["household"].to_numpy()),
            "load_average_1m": round(os.getloadavg()[0], 2)}


def _child(step: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench._mpi_scale", *step], env=env, cwd=REPO, check=True,
                          stdout=subprocess.PIPE, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(keep: Path | None = None) -> dict[str, Any]:
    """Build (unless `keep` already holds a built index: CHARTDESK_BENCH_MPI_DIR) and scan."""
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-mpi1m-") as folder:
        work = keep or Path(folder)
        work.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "CHARTDESK_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
               "CHARTDESK_VAR_DIR": str(work), "DJANGO_SETTINGS_MODULE": "chartdesk.settings",
               "CHARTDESK_FAST_PASSWORD_HASHER": "1"}
        env.pop("CHARTDESK_MODE", None)
        measured: dict[str, Any] = {}
        built = work / "built.json"
        if not built.is_file():
            subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env,
                           cwd=REPO, check=True)
            print(f"mpi scale: generating and loading {PATIENTS:,} patients on SQLite...", flush=True)
            built.write_text(json.dumps(_child(["--build", str(PATIENTS), str(work)], env)), encoding="utf-8")
        measured.update(json.loads(built.read_text(encoding="utf-8")))
        # Each measurement scans a copy, so that it starts, as a first scan does, from an empty queue.
        shutil.copyfile(work / "bench.sqlite3", work / "scan.sqlite3")
        print("mpi scale: scanning...", flush=True)
        measured.update(_child(["--measure", str(work)],
                               {**env, "CHARTDESK_DATABASE_URL": f"sqlite:///{work / 'scan.sqlite3'}"}))
        (work / "scan.sqlite3").unlink()
    measured["load_average_1m"] = round(os.getloadavg()[0], 2)
    measured["note"] = ("Wall time on 2 cores shared with other work (a lower bound on speed); load average "
                        "sampled at the end. A pair is found when it is in the work queue (match or review).")
    return measured


def save(key: str, measured: Any) -> None:
    path = REPO / "bench" / "results" / "mpi.json"
    results = json.loads(path.read_text(encoding="utf-8"))
    results[key] = measured
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def run_score_only(count: int, rules: str = "scan") -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench._mpi_scale", "--score-only", str(count), rules], cwd=REPO,
                          env={**os.environ, "DJANGO_SETTINGS_MODULE": "chartdesk.settings"}, check=True,
                          stdout=subprocess.PIPE, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--build":
        print(json.dumps(build(int(sys.argv[2]), Path(sys.argv[3]))), flush=True)
    elif len(sys.argv) == 4 and sys.argv[1] == "--score-only":
        print(json.dumps(score_only(int(sys.argv[2]), sys.argv[3])), flush=True)
    elif len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(Path(sys.argv[2]))), flush=True)
    elif len(sys.argv) >= 2 and sys.argv[1] == "score":
        # The scoring stage alone at PATIENTS rows, in memory: `python -m bench._mpi_scale score [RULES]`.
        outcome = run_score_only(PATIENTS, sys.argv[2] if len(sys.argv) > 2 else "scan")
        save(f"scale_score_only_{PATIENTS}", outcome)
        print(json.dumps(outcome, indent=2, sort_keys=True))
    else:
        kept = os.environ.get("CHARTDESK_BENCH_MPI_DIR")
        outcome = run(Path(kept) if kept else None)
        save("scale" if PATIENTS == 1_000_000 else f"scale_{PATIENTS}", outcome)
        if PATIENTS == 1_000_000:
            save("scan_1m_s", outcome["scan_s"])
        print(json.dumps(outcome, indent=2, sort_keys=True))
