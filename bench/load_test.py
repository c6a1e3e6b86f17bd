"""The desk under a department's load (issue 19, §3): locust users in the mix of a real HIM department
(bench/_locustfile.py) against `chartdesk serve --workers N` on loopback, on PostgreSQL.

A throwaway PostgreSQL cluster is migrated and loaded: the code sets; the demo builders' department
(`chartdesk demo-data`: patients with encounters, documents, coding cases, ROI requests; then
`chartdesk billing create-claims`); a bulk index of thousands more patients built with the rows that
registration writes (bench/patients.py); accounts per role and a FHIR API client (prepare()).
The desk runs as production runs it, gunicorn through `chartdesk serve --workers`, and locust runs
headless as a child process for a fixed time. Reported per page kind: p50/p95/p99 in ms, and over all
requests the rate and the number of errors (any non-2xx answer, a redirect to the log-in page included).

The box is shared and locust itself runs on it: the figures are lower bounds, and the load average
before the run is recorded beside them.

    python -m bench.load_test          # 50 users for 120 s; 400 demo patients and 20,000 more in the index
    make load-test
    CHARTDESK_LOAD_USERS=20 CHARTDESK_LOAD_SECONDS=60 CHARTDESK_LOAD_BULK_PATIENTS=100000 python -m bench.load_test

Part of `make bench` where PostgreSQL is installed (initdb/pg_ctl found); figures go into
bench/results/scale.json (other benchmarks' keys there are left as they are).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "_locustfile.py"
USERS = int(os.environ.get("CHARTDESK_LOAD_USERS", "50"))
SECONDS = int(os.environ.get("CHARTDESK_LOAD_SECONDS", "120"))
# The demo builders write every row through its audited action (about a minute per hundred patients on a
# busy box), so they make the department's work (encounters, documents, coding cases, claims, requests)
# for a few hundred patients, and a bulk index (bench/patients.py's) brings the index to thousands.
PATIENTS = int(os.environ.get("CHARTDESK_LOAD_PATIENTS", "400"))
BULK_PATIENTS = int(os.environ.get("CHARTDESK_LOAD_BULK_PATIENTS", "20000"))
WORKERS = int(os.environ.get("CHARTDESK_LOAD_WORKERS", "4"))
THREADS = int(os.environ.get("CHARTDESK_LOAD_THREADS", "2"))
SPAWN_RATE = 10
TARGET_P95_MS = 300.0
PASSWORD = "load test password, not for production"  # noqa: S105 (accounts of a throwaway database)
ACCOUNTS_PER_ROLE = 10
DESK_ROLES = ("registrar", "coder", "roi", "billing")
SAMPLE = 500
# Each is a request name in bench/_locustfile.py and a key `load_p95_ms_<kind>` in scale.json.
PAGE_KINDS = (
    "search_name", "search_birth_date", "search_mrn", "chart", "coding_queue", "coding_screen", "roi_queue",
    "billing_claims", "fhir_patient_read", "fhir_patient_search",
)


# ---------------------------------------------------------------------------------------------
# In a child with Django set up: the accounts, the API client, and what the users pick from
# ---------------------------------------------------------------------------------------------

def prepare(plan_path: Path, bulk_patients: int, accounts_per_role: int = ACCOUNTS_PER_ROLE) -> dict[str, Any]:
    """Create the load test's accounts and API client, add `bulk_patients` to the index, and write the
    plan the locustfile reads."""
    import random

    from django.db import connection

    from bench.patients import build_index
    from chartdesk.accounts.actions import do_create_user
    from chartdesk.coding.workflow.queue import waiting_encounters
    from chartdesk.interop.tokens import do_register_api_client
    from chartdesk.patients.models import Patient, PatientStatus, Restriction

    accounts = {role: [do_create_user(f"load-{role}-{number}", role=role, password=PASSWORD,
                                      acting_user=None).get_username() for number in range(accounts_per_role)]
                for role in DESK_ROLES}
    administrator = do_create_user("load-administrator", role="administrator", password=PASSWORD, acting_user=None)
    interface = do_create_user("load-interface", role="interface", password=None, acting_user=None)
    client, secret = do_register_api_client("Load test client", user=interface, scopes=["user/Patient.read"],
                                            acting_user=administrator)
    if bulk_patients:
        build_index(bulk_patients, administrator)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    rng = random.Random(19)
    # Charts the desk roles may open (a restricted one would be refused by design, not by load).
    open_charts = list(Patient.objects.filter(status=PatientStatus.ACTIVE, restriction=Restriction.NONE,
                                              birth_date__isnull=False)
                       .values_list("id", "mrn", "family_name", "birth_date"))
    picked = rng.sample(open_charts, min(SAMPLE, len(open_charts)))
    families = sorted({family for _, _, family, _ in picked})
    coding = list(waiting_encounters().filter(patient__restriction=Restriction.NONE)
                  .order_by("id").values_list("id", flat=True)[:SAMPLE])
    plan = {
        "password": PASSWORD,
        "accounts": accounts,
        "api_client": {"client_id": client.client_id, "client_secret": secret},
        "chart_ids": [pk for pk, _, _, _ in picked],
        "mrns": [mrn for _, mrn, _, _ in picked],
        "birth_dates": [f"{born:%m/%d/%Y}" for _, _, _, born in picked],
        # What a clerk types: the first letters of a family name.
        "names": sorted({family[:max(3, len(family) - 2)] for family in families}),
        "fhir_patient_ids": [pk for pk, _, _, _ in picked],
        "fhir_family_names": families,
        "coding_encounter_ids": coding,
        "patients": Patient.objects.count(),
    }
    empty = [key for key, value in plan.items() if isinstance(value, list) and not value]
    if empty:
        raise SystemExit(f"load_test: the population has nothing for {', '.join(empty)}")
    plan_path.write_text(json.dumps(plan, indent=1))
    return plan


# ---------------------------------------------------------------------------------------------
# Parent: the cluster, the population, the server, locust
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PageFigures:
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True)
class LoadRun:
    pages: dict[str, PageFigures]
    requests_per_s: float
    requests: int
    failures: int
    failure_messages: list[str]


def chartdesk(env: dict[str, str], *args: str, timeout: float = 3600) -> str:
    done = subprocess.run([sys.executable, "-m", "chartdesk", *args], env=env, cwd=REPO, check=True,
                          stdout=subprocess.PIPE, text=True, timeout=timeout)
    return done.stdout


def populate(env: dict[str, str], patients: int) -> None:
    """Code sets, the demo department at `patients` patients, and the claims of what is coded."""
    chartdesk(env, "migrate", "--no-input", "-v", "0")
    chartdesk(env, "codes", "load", "icd10cm", "--shipped-editions")
    chartdesk(env, "codes", "load", "icd10pcs")
    chartdesk(env, "demo-data", "--patients", str(patients), "--seed", "19")
    chartdesk(env, "billing", "create-claims")


def prepare_in_child(env: dict[str, str], plan_path: Path, bulk_patients: int) -> dict[str, Any]:
    subprocess.run([sys.executable, "-m", "bench.load_test", "--prepare", str(plan_path), str(bulk_patients)],
                   env=env, cwd=REPO, check=True, timeout=1800)
    return dict(json.loads(plan_path.read_text()))


def run_locust(base_url: str, plan_path: Path, out: Path, *, users: int, seconds: int, spawn_rate: int,
               env: dict[str, str] | None = None, wait: str = "") -> LoadRun:
    """Run bench/_locustfile.py headless against base_url; parse its CSV statistics."""
    child_env = {**(env or os.environ), "CHARTDESK_LOAD_PLAN": str(plan_path)}
    if wait:
        child_env["CHARTDESK_LOAD_WAIT"] = wait
    prefix = out / "locust"
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", base_url,
         "-u", str(users), "-r", str(spawn_rate), "-t", f"{seconds}s", "--stop-timeout", "30",
         "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
        env=child_env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=seconds + 300)
    stats = prefix.with_name("locust_stats.csv")
    if not stats.exists():
        raise RuntimeError(f"locust wrote no statistics (exit {done.returncode}):\n{done.stdout[-3000:]}")
    return parse_stats(stats, prefix.with_name("locust_failures.csv"))


def parse_stats(stats: Path, failures: Path) -> LoadRun:
    pages: dict[str, PageFigures] = {}
    total: dict[str, str] = {}
    with stats.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                total = row
                continue
            pages[row["Name"]] = PageFigures(
                requests=int(row["Request Count"]), failures=int(row["Failure Count"]),
                p50_ms=float(row["50%"]), p95_ms=float(row["95%"]), p99_ms=float(row["99%"]))
    messages = []
    if failures.exists():
        with failures.open(newline="") as handle:
            messages = [f"{row['Occurrences']}x {row['Name']}: {row['Error']}" for row in csv.DictReader(handle)]
    return LoadRun(pages=pages, requests_per_s=float(total.get("Requests/s", 0) or 0),
                   requests=int(total.get("Request Count", 0) or 0),
                   failures=int(total.get("Failure Count", 0) or 0), failure_messages=messages)


def serve(env: dict[str, str], log_path: Path, *, workers: int, threads: int) -> tuple[subprocess.Popen[bytes], str]:
    """`chartdesk serve --workers N` (gunicorn) on a free loopback port; waits for /healthz."""
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "chartdesk", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--threads", str(threads)],
        env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chartdesk serve exited {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as answer:  # noqa: S310 (loopback)
                if answer.status == 200:
                    wait_until_warm(process.pid)
                    return process, base_url
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError(f"chartdesk serve did not answer in 180 s:\n{log_path.read_text()[-3000:]}")


def wait_until_warm(master_pid: int, timeout: float = 240) -> None:
    """Wait until gunicorn's workers have finished warming up (each loads the coding lexicon and
    matplotlib in a thread as it starts: serve.warm_up_apps) and sit idle, so the run measures a desk
    that has been up for a while, not one starting."""
    import psutil

    master = psutil.Process(master_pid)
    deadline = time.monotonic() + timeout
    quiet = 0
    previous = None
    while time.monotonic() < deadline and quiet < 3:
        workers = master.children(recursive=True)
        used = sum(sum(worker.cpu_times()[:2]) for worker in workers)
        quiet = quiet + 1 if previous is not None and len(workers) and used - previous < 0.05 else 0
        previous = used
        time.sleep(1)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def figures_of(run: LoadRun, users: int) -> dict[str, Any]:
    figures: dict[str, Any] = {f"load_rps_{users}_users": round(run.requests_per_s, 1),
                               f"load_errors_{users}_users": run.failures,
                               f"load_requests_{users}_users": run.requests}
    for kind in PAGE_KINDS:
        page = run.pages.get(kind)
        if page is None:
            continue
        figures[f"load_p50_ms_{kind}"] = page.p50_ms
        figures[f"load_p95_ms_{kind}"] = page.p95_ms
        figures[f"load_p99_ms_{kind}"] = page.p99_ms
    return figures


def measure(users: int = USERS, seconds: int = SECONDS, patients: int = PATIENTS,
            bulk_patients: int = BULK_PATIENTS) -> dict[str, Any]:
    from bench._pg import throwaway_database
    from bench._scale_results import load_average

    with throwaway_database("load_test", "chartdesk_load") as database:
        if database is None:
            return {}
        with tempfile.TemporaryDirectory(prefix="chartdesk-load-") as folder:
            work = Path(folder)
            env = {**os.environ, "CHARTDESK_DATABASE_URL": database.url,
                   "CHARTDESK_VAR_DIR": str(work / "var"), "CHARTDESK_DATA_DIR": str(work / "data"),
                   "CHARTDESK_MODE": "demo", "CHARTDESK_AUDIT_CHECKPOINT_PATH": "",
                   # Fifty people logging in within five seconds is a storm no department makes (they
                   # arrive over the morning); with the production hasher each log-in costs about a
                   # second of CPU (PBKDF2), which would swamp the first half of a two-minute run. The
                   # fast hasher is refused in production mode and exists for tests and benchmarks.
                   "CHARTDESK_FAST_PASSWORD_HASHER": "1",
                   # Each process keeps its connections, as docs/operations.md advises at scale.
                   "CHARTDESK_DB_POOL_MAX": str(THREADS),
                   "DJANGO_SETTINGS_MODULE": "chartdesk.settings", "PYTHONUNBUFFERED": "1"}
            print(f"load_test: loading {patients:,} demo patients on PostgreSQL...", flush=True)
            began = time.perf_counter()
            populate(env, patients)
            plan = prepare_in_child(env, work / "plan.json", bulk_patients)
            populated_s = time.perf_counter() - began
            process, base_url = serve(env, work / "desk.log", workers=WORKERS, threads=THREADS)
            try:
                load_before = load_average()
                print(f"load_test: {users} users for {seconds} s against {WORKERS} workers x {THREADS} threads "
                      f"(load average {load_before})...", flush=True)
                run = run_locust(base_url, work / "plan.json", work, users=users, seconds=seconds,
                                 spawn_rate=SPAWN_RATE)
                load_after = load_average()
            finally:
                stop(process)
    version = subprocess.run([str(database.bin_dir / "postgres"), "--version"], stdout=subprocess.PIPE,
                             text=True).stdout
    figures = figures_of(run, users)
    slow = sorted(kind for kind, page in run.pages.items() if kind in PAGE_KINDS and page.p95_ms > TARGET_P95_MS)
    figures["load_setup"] = (
        f"locust {_locust_version()} headless on the same box, {users} users (spawned {SPAWN_RATE}/s) for "
        f"{seconds} s, 1 to 5 s between pages; bench/_locustfile.py's mix: registrars (name, birth-date and MRN "
        f"searches, charts), coders (queue, coding screen, charts), ROI (queue, charts), billing (claim list), "
        f"a FHIR client (Patient read and search); `chartdesk serve --workers {WORKERS} --threads {THREADS}` "
        f"(gunicorn, CHARTDESK_DB_POOL_MAX={THREADS}, fast password hasher); {version.strip()}, throwaway "
        f"cluster (fsync=off) on the same box; demo data at "
        f"{patients:,} patients plus a bulk index of {bulk_patients:,} ({plan['patients']:,} patients in all; "
        f"{len(plan['coding_encounter_ids'])} encounters in the coding sample), built in {populated_s:.0f} s; "
        f"{os.cpu_count()} cores shared with other work: lower bounds; load average "
        f"before the run {load_before}, after {load_after}; measured {datetime.now(UTC):%Y-%m-%d}")
    figures["load_target_p95_ms"] = TARGET_P95_MS
    figures["load_over_target"] = slow
    figures["load_failures"] = run.failure_messages[:20]
    return figures


def _locust_version() -> str:
    from importlib.metadata import version

    return version("locust")


def run() -> dict[str, Any]:
    """`make bench`: measure where PostgreSQL is installed; the figures also go into scale.json."""
    from bench._scale_results import record

    figures = measure()
    if figures:
        record(figures)
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--prepare":
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chartdesk.settings")
        django.setup()
        prepare(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        print(json.dumps(run(), indent=2, sort_keys=True))
