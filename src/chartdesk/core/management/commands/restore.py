"""`chartdesk restore PATH`: put a backup archive back, after checking every byte of it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.cli import invocation
from chartdesk.core.backup import BackupRefused, restore_backup
from chartdesk.core.registry import restore_warnings


class Command(BaseCommand):
    help = (
        "Restore the database and stored files from an archive written by `chartdesk backup`. Every checksum is "
        "verified before anything changes. Stop the desk first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the archive written by `chartdesk backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that already holds users or patients (back it up first)",
        )
        parser.add_argument(
            "--allow-key-mismatch",
            action="store_true",
            help="restore even though the audit or field key differs from the one the backup was made with",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = restore_backup(
                options["path"], force=options["force"], allow_key_mismatch=options["allow_key_mismatch"]
            )
        except BackupRefused as refusal:
            raise CommandError(refusal.message) from None
        self.stdout.write(
            f"Restored the {summary.engine} database and {summary.data_files} stored file(s) from {summary.path} "
            f"(backed up {summary.created_at})."
        )
        if summary.previous_data_dir is not None:
            self.stdout.write(f"The stored files that were there before are kept in {summary.previous_data_dir}.")
        for warning in summary.warnings:
            self.stderr.write(f"Warning: {warning}")
        if summary.audit_problem:
            raise CommandError(f"Restored, but the audit chain does not verify: {summary.audit_problem}.")
        self.stdout.write(f"Audit chain verified: {summary.audit_events_checked} events intact.")
        self._compare_with_checkpoints()
        self.stdout.write(f"If this Chartdesk is newer than the backup, run `{invocation()} migrate` before serving.")

    def _compare_with_checkpoints(self) -> None:
        """A restore puts the trail back to the backup's moment: the checkpoints written since say
        which events it gave up, and `audit verify` keeps failing until that is acknowledged."""
        for warning in restore_warnings():  # registered by audit (core imports no app)
            self.stderr.write(f"Warning: {warning}.")
