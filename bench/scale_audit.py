"""How fast `audit verify` walks a long chain on PostgreSQL (issue 19, §2), and what a nightly
incremental run costs on top of it.

A throwaway PostgreSQL cluster (fsync=off: the walk reads, it does not commit) is migrated, so the
audit table is the production one (its partitions, if any, are counted in the setup), then filled
with a real chain by bench/_audit_trail.py: every event sealed with the audit key onto the one before
by `chain.seal_onto`, the function `record_events` seals with, and loaded with COPY in batches (the ORM
would take hours at this size; ten million take minutes). The events spread over the last months, so
they fall into several monthly partitions. Then:

- `audit_verify_events_per_s_<size>`: `chartdesk audit verify --full --workers N` (N: `--workers`,
  default the CPU count), events/s, on the monthly-partitioned table the migrations make;
  `audit_generate_s_<size>` how long the fill took, `audit_verify_load_average_<size>` the load when
  the walk began (the machine is shared);
- with `--one-process-too`, `audit_verify_events_per_s_<size>_one_process`: the same walk in one process;
- `audit_verify_events_per_s_<size>_unpartitioned`: the walk after migrating the trail back to one
  plain table (audit migration 0004 backwards), and `audit_partition_migration_s_<size>`: how long
  migration 0004 then takes to convert that table of <size> events into partitions again (skipped with
  `--partitioned-only`);
- `audit_verify_incremental_s`: after that verification and 100,000 newer events, the incremental run.

Not part of `make bench` (ten million events take a while on a shared machine); run it on demand:

    python -m bench.scale_audit --events 10000000 --partitioned-only
    python -m bench.scale_audit --events 1000000 --one-process-too

Figures go into bench/results/scale.json (other keys there are left as they are).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
NEW_EVENTS = 100_000


def _fill(count: int) -> None:
    """Append `count` sealed events after the head (migrations record a few), COPY in batches."""
    from bench._audit_trail import append_events

    def progress(last: int) -> None:
        if last % 1_000_000 < 250_000 or last >= count:
            print(f"  {last:,} events written", flush=True)

    append_events(count, progress=progress)


def _walk(workers: int) -> tuple[int, float]:
    from chartdesk.audit.verify import verify_chain

    began = time.perf_counter()
    report = verify_chain(workers=workers)
    elapsed = time.perf_counter() - began
    assert report.intact, report
    return report.events_checked, elapsed


def _partitions() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditevent")
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_auditevent'::regclass")
        return int(cursor.fetchone()[0])


def measure(count: int, *, compare_unpartitioned: bool, workers: int, one_process: bool) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command

    from bench._scale_results import load_average
    from chartdesk.audit.verify import chain_last_sequence

    quiet = open(os.devnull, "w")
    began = time.perf_counter()
    _fill(count)
    partitions = _partitions()
    generated_s = time.perf_counter() - began
    print(f"  generated in {generated_s:.0f} s; verifying with {workers} worker(s)...", flush=True)
    # The full walk as an operator runs it; it also records the verified point the nightly run starts from.
    events, load_at_walk = chain_last_sequence(), load_average()
    began = time.perf_counter()
    call_command("audit", "verify", "--full", "--workers", str(workers), stdout=quiet)
    full_s = time.perf_counter() - began
    figures: dict[str, Any] = {"events": events, "partitions": partitions, "full_s": round(full_s, 1),
                               "events_per_s": round(events / full_s), "generate_s": round(generated_s),
                               "load_at_walk": load_at_walk, "load_after_walk": load_average()}
    print(f"  partitioned, {workers} worker(s): {figures['events_per_s']} events/s", flush=True)
    if one_process:
        _, one_s = _walk(1)
        figures["one_process_events_per_s"] = round(events / one_s)
        print(f"  partitioned, one process: {figures['one_process_events_per_s']} events/s", flush=True)
    if compare_unpartitioned:
        call_command("migrate", "audit", "0003", verbosity=0, stdout=quiet)
        assert _partitions() == 0
        _, plain_s = _walk(workers)
        figures["unpartitioned_events_per_s"] = round(events / plain_s)
        print(f"  unpartitioned: {figures['unpartitioned_events_per_s']} events/s; converting...", flush=True)
        began = time.perf_counter()
        call_command("migrate", "audit", verbosity=0, stdout=quiet)
        figures["migration_s"] = round(time.perf_counter() - began, 1)
        assert _partitions() == partitions, "the conversion made other partitions than the fill had"

    # The nightly run: a day's worth of new events after the recorded verification, then the incremental walk.
    _fill(NEW_EVENTS)
    began = time.perf_counter()
    call_command("audit", "verify", "--workers", str(workers), stdout=quiet)
    figures["incremental_s"] = round(time.perf_counter() - began, 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--partitioned-only", action="store_true",
                        help="skip the walk of the plain table and the timed conversion back into partitions")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="`audit verify --workers` for the timed walks (default: the CPU count, %(default)s)")
    parser.add_argument("--one-process-too", action="store_true",
                        help="also time the walk in one process (verify_chain, workers=1), for the comparison")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        print(json.dumps(measure(options.events, compare_unpartitioned=not options.partitioned_only,
                                 workers=options.workers, one_process=options.one_process_too)), flush=True)
        return

    from tests.support.pg_plugin import ThrowawayCluster, postgres_bin_dir

    from bench._scale_results import load_average, record

    load_before = load_average()
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise SystemExit("scale_audit: needs PostgreSQL (initdb/pg_ctl not found: apt-get install postgresql)")
    cluster = ThrowawayCluster(bin_dir)
    url = cluster.start().replace("/chartdesk_test?", "/postgres?")
    try:
        with tempfile.TemporaryDirectory(prefix="chartdesk-bench-scale-") as folder:
            env = {**os.environ, "CHARTDESK_DATABASE_URL": url, "CHARTDESK_VAR_DIR": folder,
                   "CHARTDESK_AUDIT_CHECKPOINT_PATH": "",
                   # Generating the chain is one long COPY, which the desk's statement timeout would cancel.
                   "CHARTDESK_DB_STATEMENT_TIMEOUT_MS": "0", "DJANGO_SETTINGS_MODULE": "chartdesk.settings"}
            env.pop("CHARTDESK_MODE", None)
            subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env,
                           cwd=REPO, check=True)
            print(f"scale_audit: {options.events:,} events on PostgreSQL...", flush=True)
            extra = ["--partitioned-only"] if options.partitioned_only else []
            extra += ["--workers", str(options.workers)] + (["--one-process-too"] if options.one_process_too else [])
            done = subprocess.run([sys.executable, "-m", "bench.scale_audit", "--measure", "--events",
                                   str(options.events), *extra], env=env, cwd=REPO, check=True, stdout=subprocess.PIPE,
                                  text=True)
            measured = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        cluster.stop()
    size = "10m" if options.events == 10_000_000 else (
        f"{options.events // 1_000_000}m" if options.events % 1_000_000 == 0 else f"{options.events // 1000}k")
    version = subprocess.run([str(bin_dir / "postgres"), "--version"], stdout=subprocess.PIPE, text=True).stdout
    figures = {
        f"audit_verify_events_per_s_{size}": measured["events_per_s"],
        f"audit_verify_full_s_{size}": measured["full_s"],
        f"audit_verify_workers_{size}": options.workers,
        f"audit_generate_s_{size}": measured["generate_s"],
        f"audit_verify_load_average_{size}": measured["load_at_walk"],
        "audit_verify_incremental_s": measured["incremental_s"],
        f"audit_verify_incremental_s_{size}": measured["incremental_s"],
        f"audit_verify_setup_{size}": (
            f"{version.strip()}, throwaway cluster (fsync=off), audit table in {measured['partitions']} partitions "
            f"(months and the default one); {measured['events']:,} sealed events (chain.seal_onto) written with "
            f"COPY in batches in {measured['generate_s']} s; full walk = `audit verify --full --workers "
            f"{options.workers}` (5000 events per query, a stretch of months per worker process); "
            f"incremental = `audit verify` after that recorded verification and {NEW_EVENTS:,} newer events; "
            f"load average before the run {load_before}, when the walk began {measured['load_at_walk']}, when "
            f"it ended {measured['load_after_walk']}, after the run {load_average()}; measured "
            f"{datetime.now(UTC):%Y-%m-%d}"),
    }
    if "one_process_events_per_s" in measured:
        figures[f"audit_verify_events_per_s_{size}_one_process"] = measured["one_process_events_per_s"]
    if "unpartitioned_events_per_s" in measured:
        figures[f"audit_verify_events_per_s_{size}_unpartitioned"] = measured["unpartitioned_events_per_s"]
        figures[f"audit_partition_migration_s_{size}"] = measured["migration_s"]
    record(figures)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
