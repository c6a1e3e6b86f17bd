"""`chartdesk backup PATH`: one archive of the database and every stored file."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.core.backup import BackupRefused, create_backup


class Command(BaseCommand):
    help = (
        "Write one archive (tar; .tar.gz or .tgz to compress) holding a consistent copy of the database, "
        "every stored file and a manifest of SHA-256 checksums. Safe to run while the desk is serving."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the archive file to write, e.g. /backups/chartdesk-2025-01-31.tar")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = create_backup(options["path"])
        except BackupRefused as refusal:
            raise CommandError(refusal.message) from None
        self.stdout.write(
            f"Backed up the {summary.engine} database and {summary.data_files} stored file(s) to {summary.path}\n"
            f"  {summary.size_bytes:,} bytes, SHA-256 {summary.sha256}\n"
            "Keep the keys (CHARTDESK_SECRET_KEY, and CHARTDESK_AUDIT_KEY / CHARTDESK_FIELD_KEY if set) safe as well: "
            "a restore needs the same keys."
        )
