"""`chartdesk audit verify|checkpoint|acknowledge-restore|partitions`: check the keyed hash chain of the
audit trail (from the last verified point, or with --full from the first event) and against the
checkpoints kept outside the database, write a checkpoint now, acknowledge the events a legitimate
restore from backup gave up, or create the trail's monthly partitions ahead (PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, transaction
from django.utils import timezone

from chartdesk.audit import checkpoints
from chartdesk.audit.actions import record_event
from chartdesk.audit.chain import ChainReport
from chartdesk.audit.models import AuditAction, AuditOutcome
from chartdesk.audit.partitions import DEFAULT_AHEAD, PartitionProblem, ensure_partitions
from chartdesk.audit.verify import (
    CHUNK,
    RESTORE_ACKNOWLEDGED,
    CheckpointReport,
    VerifiedPoint,
    chain_head,
    chain_last_sequence,
    check_checkpoints,
    verify_chain,
    verify_since_last,
)
from chartdesk.core.context import acting_as

WORKERS_AT_LEAST_ONE = "--workers must be 1 or more; {workers} is not."
NOTHING_TO_ACKNOWLEDGE = "Every checkpoint agrees with the database: there is no restore to acknowledge."
REASON_REQUIRED = "--reason: say which backup was restored and why (at least 10 characters)."
NOT_AN_AUDITOR = "--user {name}: no active user of that name may verify the audit chain (audit.verify_chain)."
NO_TARGET = ("No checkpoint target is configured: set CHARTDESK_AUDIT_CHECKPOINT_PATH and/or "
             "CHARTDESK_AUDIT_CHECKPOINT_SYSLOG.")


class Command(BaseCommand):
    help = ("Audit trail tools. `audit verify` exits 0 when the chain is intact and agrees with the "
            "checkpoints, 1 naming the first bad event.")

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", title="subcommands", required=True)
        verify = commands.add_parser("verify", help="check every event's seal, in sequence order, and the checkpoints")
        verify.add_argument("--full", action="store_true",
                            help="walk every event from the first, not only those since the last verification")
        verify.add_argument("--chunk", type=int, default=CHUNK, help="events read per query (default %(default)s)")
        verify.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                            help="processes checking the chain side by side, a stretch of months each "
                                 "(PostgreSQL; default: the CPU count, %(default)s); 1 walks it in this one")
        verify.add_argument("--checkpoints", action="append", type=Path, default=[], metavar="FILE",
                            help="also compare with the checkpoints in FILE (e.g. an export of the syslog "
                                 "target); may be repeated")
        commands.add_parser("checkpoint", help="write a checkpoint of the chain's head now")
        acknowledge = commands.add_parser("acknowledge-restore",
                                          help="accept that the database was restored to an earlier state")
        acknowledge.add_argument("--user", required=True, help="the administrator acknowledging it")
        acknowledge.add_argument("--reason", required=True, help="which backup was restored, and why")
        partitions = commands.add_parser("partitions", help="create the audit trail's monthly partitions ahead "
                                                            "(PostgreSQL; the periodic job does the same)")
        partitions.add_argument("--ahead", type=int, default=DEFAULT_AHEAD,
                                help="months to create after the current one (default %(default)s)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            if options["workers"] < 1:
                raise CommandError(WORKERS_AT_LEAST_ONE.format(workers=options["workers"]))
            self.verify(options["chunk"], options["checkpoints"], full=options["full"], workers=options["workers"])
        elif options["subcommand"] == "checkpoint":
            self.checkpoint()
        elif options["subcommand"] == "partitions":
            try:
                run = ensure_partitions(options["ahead"])
            except PartitionProblem as problem:
                raise CommandError(problem.message) from None
            self.stdout.write(run.summary())
        else:
            self.acknowledge(options["user"], options["reason"])

    def verify(self, chunk: int, extra_checkpoints: list[Path], *, full: bool, workers: int) -> None:
        since: VerifiedPoint | None = None
        if full:
            report = verify_chain(max(1, chunk), workers=workers)
        else:
            report, since = verify_since_last(max(1, chunk), workers=workers)
        against: CheckpointReport | None = None
        paths = checkpoints.configured_paths() + extra_checkpoints
        for missing in [path for path in paths if not path.exists()]:
            self.stderr.write(f"(no checkpoint file at {missing}: the chain was not compared with it)")
        if report.intact and paths:
            against = check_checkpoints(chain_last_sequence(), paths)
            if against.problem:
                report = ChainReport(False, report.events_checked, against.problem, against.first_bad_sequence)
        after = since.sequence if since is not None else 0
        self._record(report, against, after)
        if report.intact:
            agreed = f"; {against.checked} checkpoints agree" if against is not None and against.checked else ""
            walked = ""
            if since is not None:
                walked = (f" ({report.events_checked} checked after event #{since.sequence}, verified "
                          f"{since.at}; --full rechecks them all)")
            self.stdout.write(f"audit chain intact: {after + report.events_checked} events{agreed}{walked}")
            return
        raise CommandError(
            f"audit chain BROKEN at event #{report.first_bad_sequence}: {report.problem} "
            f"({after + report.events_checked} events before it verified)",
            returncode=1,
        )

    def checkpoint(self) -> None:
        if not checkpoints.enabled():
            raise CommandError(NO_TARGET)
        head = chain_head() or {"last_sequence": 0, "last_hash": "0" * 64}
        written = checkpoints.write_checkpoint(int(head["last_sequence"]), str(head["last_hash"]))
        if written is None:
            raise CommandError("The checkpoint could not be written to any target (see the log).")
        self.stdout.write(f"checkpoint written at event #{written.sequence} ({written.at})")

    def acknowledge(self, username: str, reason: str) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None or not user.has_perm("audit.verify_chain"):
            raise CommandError(NOT_AN_AUDITOR.format(name=username))
        reason = " ".join(reason.split())
        if len(reason) < 10:
            raise CommandError(REASON_REQUIRED)
        report = verify_chain()
        if not report.intact:
            raise CommandError(f"The chain itself does not verify ({report.problem}); a restore cannot be "
                               "acknowledged over a broken chain.")
        against = check_checkpoints(chain_last_sequence(), checkpoints.configured_paths())
        if not against.conflicts:
            raise CommandError(against.problem or NOTHING_TO_ACKNOWLEDGE)
        with transaction.atomic(), acting_as(channel="cli"):
            event = record_event(
                AuditAction.INTEGRITY, user=user, object_type=RESTORE_ACKNOWLEDGED,
                detail={"reason": reason, "acknowledged": [list(c.key) for c in against.conflicts],
                        "lacking": list(against.lacking) if against.lacking else None},
            )
        # Anchor the new history at once, so the next rollback is caught from here on.
        checkpoints.write_checkpoint(event.sequence, event.entry_hash)
        lacking = (f"events #{against.lacking[0]} to #{against.lacking[1]} are acknowledged as lost"
                   if against.lacking else "the replaced events are acknowledged")
        self.stdout.write(f"restore acknowledged by {user.get_username()} (event #{event.sequence}): {lacking}; "
                          f"{len(against.conflicts)} checkpoint(s) set aside")

    def _record(self, report: ChainReport, against: CheckpointReport | None, after: int) -> None:
        """Put the check itself on the record, so a privacy officer can show when the chain was verified.
        A successful check also records, sealed, the point it verified up to: the next run starts there."""
        verified: dict[str, object] = {}
        if report.intact and after + report.events_checked > 0:
            at = timezone.now().isoformat(timespec="microseconds")
            verified = VerifiedPoint(after + report.events_checked, report.last_hash, at).detail()
        try:
            with transaction.atomic(), acting_as(channel="cli"):
                record_event(
                    AuditAction.INTEGRITY,
                    username="chartdesk audit verify",
                    object_type="audit_chain",
                    outcome=AuditOutcome.SUCCESS if report.intact else AuditOutcome.FAILURE,
                    detail={
                        "events_checked": report.events_checked,
                        "from_sequence": after + 1,
                        "first_bad_sequence": report.first_bad_sequence,
                        "problem": report.problem,
                        "checkpoints_checked": against.checked if against is not None else 0,
                        "checkpoint_file": str(settings.AUDIT_CHECKPOINT_PATH or ""),
                        **verified,
                    },
                )
        except DatabaseError as problem:
            # A forged row can occupy the next sequence number; the verdict matters more than its record.
            self.stderr.write(f"(the check could not be recorded in the audit trail: {problem})")
