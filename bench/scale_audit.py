"""How fast `audit verify` walks a long chain on PostgreSQL (issue 19, §2), and what a nightly
incremental run costs on top of it.

A throwaway PostgreSQL cluster (fsync=off: the walk reads, it does not commit) is migrated, so the
audit table is the production one (its partitions, if any, are counted in the setup), then filled
with a real chain: every event sealed with the audit key onto the one before, exactly as `record_events` seals them, and
written with COPY (the ORM would take hours at this size). The events spread over the last months,
so they fall into several monthly partitions. Then:

- `audit_verify_events_per_s_<size>`: `chartdesk audit verify --full`'s walk (verify_chain), events/s,
  on the monthly-partitioned table the migrations make;
- `audit_verify_events_per_s_<size>_unpartitioned`: the same walk after migrating the trail back to one
  plain table (audit migration 0004 backwards), and `audit_partition_migration_s_<size>`: how long
  migration 0004 then takes to convert that table of <size> events into partitions again;
- `audit_verify_incremental_s`: after one verification and 100,000 newer events, the incremental run.

Not part of `make bench` (generating ten million sealed events takes a long while on a shared
machine); run it on demand:

    python -m bench.scale_audit                 # 10,000,000 events
    python -m bench.scale_audit --events 1000000

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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
NEW_EVENTS = 100_000
COLUMNS = ("sequence", "occurred_at", "user_id", "username", "role", "patient_id", "patient_mrn", "object_type",
           "object_id", "action", "outcome", "client_address", "channel", "break_the_glass_reason", "detail",
           "previous_hash", "entry_hash")


def _fill(count: int) -> None:
    """Append `count` sealed events after the head (migrations record a few) with COPY; move the head."""
    from django.db import connection

    from chartdesk.audit.chain import GENESIS_HASH, entry_hash, head_seal
    from chartdesk.audit.models import ChainHead
    from chartdesk.audit.partitions import ensure_partitions

    head, _ = ChainHead.objects.get_or_create(id=1)
    start = head.last_sequence + 1
    previous = head.last_hash if head.last_sequence else GENESIS_HASH
    # Two events a second, ending now: ten million reach back about two months.
    first_at = datetime.now(UTC) - timedelta(seconds=(count + start) / 2)
    # The months the events fall in have their partitions, as the periodic job would have made them.
    months = (datetime.now(UTC).year - first_at.year) * 12 + datetime.now(UTC).month - first_at.month
    ensure_partitions(months + 3, today=first_at.date())
    actions = ("view", "view", "view", "search", "update", "create", "export")
    with connection.cursor() as cursor, cursor.connection.cursor().copy(
            f"COPY audit_auditevent ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for sequence in range(start, start + count):
            fields: dict[str, Any] = {
                "sequence": sequence, "occurred_at": first_at + timedelta(seconds=sequence / 2),
                "user_id": 1 + sequence % 400, "username": f"user{sequence % 400}", "role": "coder",
                "patient_id": 1 + sequence % 250_000, "patient_mrn": f"M{1 + sequence % 250_000:07d}",
                "object_type": "document", "object_id": str(sequence % 900_000),
                "action": actions[sequence % len(actions)], "outcome": "success",
                "client_address": "10.0.0.7", "channel": "desk", "break_the_glass_reason": "",
                "detail": {},
            }
            sealed = entry_hash(fields, previous)
            copy.write_row([*(fields[name] for name in COLUMNS[:14]), json.dumps(fields["detail"]), previous, sealed])
            previous = sealed
            if sequence % 1_000_000 == 0:
                print(f"  {sequence:,} events written", flush=True)
    last = start + count - 1
    ChainHead.objects.filter(id=1).update(last_sequence=last, last_hash=previous, seal=head_seal(last, previous))


def _walk() -> tuple[int, float]:
    from chartdesk.audit.verify import verify_chain

    began = time.perf_counter()
    report = verify_chain()
    elapsed = time.perf_counter() - began
    assert report.intact, report
    return report.events_checked, elapsed


def _partitions() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditevent")
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_auditevent'::regclass")
        return int(cursor.fetchone()[0])


def measure(count: int, *, compare_unpartitioned: bool) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command

    quiet = open(os.devnull, "w")
    began = time.perf_counter()
    _fill(count)
    partitions = _partitions()
    generated_s = time.perf_counter() - began
    print(f"  generated in {generated_s:.0f} s; verifying...", flush=True)
    count, full_s = _walk()
    figures: dict[str, Any] = {"events": count, "partitions": partitions, "full_s": round(full_s, 1),
                               "events_per_s": round(count / full_s), "generate_s": round(generated_s)}
    print(f"  partitioned: {figures['events_per_s']} events/s", flush=True)
    if compare_unpartitioned:
        call_command("migrate", "audit", "0003", verbosity=0, stdout=quiet)
        assert _partitions() == 0
        _, plain_s = _walk()
        figures["unpartitioned_events_per_s"] = round(count / plain_s)
        print(f"  unpartitioned: {figures['unpartitioned_events_per_s']} events/s; converting...", flush=True)
        began = time.perf_counter()
        call_command("migrate", "audit", verbosity=0, stdout=quiet)
        figures["migration_s"] = round(time.perf_counter() - began, 1)
        assert _partitions() == partitions, "the conversion made other partitions than the fill had"

    # The nightly run: one recorded verification, a day's worth of new events, then the incremental walk.
    call_command("audit", "verify", "--full", stdout=quiet)
    _fill(NEW_EVENTS)
    began = time.perf_counter()
    call_command("audit", "verify", stdout=quiet)
    figures["incremental_s"] = round(time.perf_counter() - began, 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--partitioned-only", action="store_true",
                        help="skip the walk of the plain table and the timed conversion back into partitions")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        print(json.dumps(measure(options.events, compare_unpartitioned=not options.partitioned_only)), flush=True)
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
        "audit_verify_incremental_s": measured["incremental_s"],
        f"audit_verify_incremental_s_{size}": measured["incremental_s"],
        f"audit_verify_setup_{size}": (
            f"{version.strip()}, throwaway cluster (fsync=off), audit table in {measured['partitions']} partitions "
            f"(months and the default one); {measured['events']:,} sealed events written with COPY in "
            f"{measured['generate_s']} s; full walk = verify_chain in one process (5000 events per query); "
            f"incremental = `audit verify` after one recorded verification and {NEW_EVENTS:,} newer events; "
            f"load average before the run {load_before}, after {load_average()}; measured "
            f"{datetime.now(UTC):%Y-%m-%d}"),
    }
    if "unpartitioned_events_per_s" in measured:
        figures[f"audit_verify_events_per_s_{size}_unpartitioned"] = measured["unpartitioned_events_per_s"]
        figures[f"audit_partition_migration_s_{size}"] = measured["migration_s"]
    record(figures)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
