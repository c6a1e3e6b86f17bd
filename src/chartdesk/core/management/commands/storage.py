"""`chartdesk storage migrate`: move stored files from the local data folder into the configured bucket."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.core.errors import ChartdeskError
from chartdesk.core.storage_migrate import migrate_disk_to_bucket


class Command(BaseCommand):
    help = "Object storage: `migrate` copies the files of the local data folder into the bucket, verified by SHA-256."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        migrate = actions.add_parser(
            "migrate", help="copy every stored file from disk to the bucket; resumable; never overwrites")
        migrate.add_argument("--from", dest="source", default=None,
                             help="the folder to copy from (default: CHARTDESK_DATA_DIR)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = migrate_disk_to_bucket(options["source"])
        except ChartdeskError as refusal:
            raise CommandError(refusal.message) from None
        self.stdout.write(
            f"Copied {summary.copied} stored file(s) ({summary.bytes_copied:,} bytes) into bucket {summary.bucket}, "
            f"each verified by SHA-256; {summary.already_there} were already there."
        )
        if summary.conflicts:
            listed = ", ".join(summary.conflicts[:10])
            raise CommandError(
                f"{len(summary.conflicts)} file(s) are in the bucket under the same name with different bytes and "
                f"were not overwritten: {listed}. Compare them with the rows that name them before going on."
            )
