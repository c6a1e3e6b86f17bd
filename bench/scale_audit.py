"""How fast `audit verify` walks a long chain on PostgreSQL (issue 19, §2), and what a nightly
incremental run costs on top of it.

A throwaway PostgreSQL cluster (fsync=off: the walk reads, it does not commit) is migrated, so the
audit table is the production one (its partitions, if any, are counted in the setup), then filled
with a real chain: every event sealed with the audit key onto the one before, exactly as `record_events` seals them, and
written with COPY (the ORM would take hours at this size). The events spread over the last months,
so they fall into several monthly partitions. Then:

- `audit_verify_events_per_s_<size>`: `chartdesk audit verify --full`'s walk (verify_chain), events/s;
- `audit_verify_incremental_s`: after one verification and 10,000 newer events, the incremental run.

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
NEW_EVENTS = 10_000
COLUMNS = ("sequence", "occurred_at", "user_id", "username", "role", "patient_id", "patient_mrn", "object_type",
           "object_id", "action", "outcome", "client_address", "channel", "break_the_glass_reason", "detail",
           "previous_hash", "entry_hash")


def _fill(count: int) -> None:
    """Append `count` sealed events after the head (migrations record a few) with COPY; move the head."""
    from django.db import connection

    from chartdesk.audit.chain import GENESIS_HASH, entry_hash, head_seal
    from chartdesk.audit.models import ChainHead

    head, _ = ChainHead.objects.get_or_create(id=1)
    start = head.last_sequence + 1
    previous = head.last_hash if head.last_sequence else GENESIS_HASH
    # Two events a second, ending now: ten million reach back about two months.
    first_at = datetime.now(UTC) - timedelta(seconds=(count + start) / 2)
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


def measure(count: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from chartdesk.audit.verify import verify_chain

    began = time.perf_counter()
    _fill(count)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditevent")
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_auditevent'::regclass")
        partitions = cursor.fetchone()[0]
    generated_s = time.perf_counter() - began
    print(f"  generated in {generated_s:.0f} s; verifying...", flush=True)

    began = time.perf_counter()
    report = verify_chain()
    full_s = time.perf_counter() - began
    assert report.intact and report.events_checked >= count, report
    count = report.events_checked

    # The nightly run: one recorded verification, a day's worth of new events, then the incremental walk.
    call_command("audit", "verify", "--full", stdout=open(os.devnull, "w"))
    _fill(NEW_EVENTS)
    began = time.perf_counter()
    call_command("audit", "verify", stdout=open(os.devnull, "w"))
    incremental_s = time.perf_counter() - began
    return {"events": count, "partitions": partitions, "full_s": round(full_s, 1),
            "events_per_s": round(count / full_s), "incremental_s": round(incremental_s, 2),
            "generate_s": round(generated_s)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        print(json.dumps(measure(options.events)), flush=True)
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
            done = subprocess.run([sys.executable, "-m", "bench.scale_audit", "--measure", "--events",
                                   str(options.events)], env=env, cwd=REPO, check=True, stdout=subprocess.PIPE,
                                  text=True)
            measured = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        cluster.stop()
    size = "10m" if options.events == 10_000_000 else f"{options.events // 1000}k"
    version = subprocess.run([str(bin_dir / "postgres"), "--version"], stdout=subprocess.PIPE, text=True).stdout
    figures = {
        f"audit_verify_events_per_s_{size}": measured["events_per_s"],
        f"audit_verify_full_s_{size}": measured["full_s"],
        "audit_verify_incremental_s": measured["incremental_s"],
        "audit_verify_setup": (
            f"{version.strip()}, throwaway cluster (fsync=off), audit table in {measured['partitions']} monthly "
            f"partitions; {measured['events']:,} sealed events written with COPY in {measured['generate_s']} s; "
            f"full walk = verify_chain in one process (5000 events per query); incremental = `audit verify` "
            f"after one recorded verification and {NEW_EVENTS:,} newer events; load average before the "
            f"run {load_before}, after {load_average()}; measured {datetime.now(UTC):%Y-%m-%d}"),
    }
    record(figures)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
