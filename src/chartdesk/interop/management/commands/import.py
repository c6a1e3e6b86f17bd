# ruff: noqa: N999  (the module is named for the command: `chartdesk import fhir PATH`)
"""`chartdesk import fhir PATH --by USER`: import FHIR R4 Bundles or bulk NDJSON (see interop.fhir.importer)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError

PROGRESS_FROM = 20  # patients: below this a progress bar is noise


class Command(BaseCommand):
    help = "Import FHIR R4 data: `chartdesk import fhir PATH --by USER` (a Bundle, an NDJSON file or a folder)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=["fhir"])
        parser.add_argument("path")
        parser.add_argument("--by", required=True, help="who asks for the import (HIM manager or administrator)")
        parser.add_argument("--source", default="fhir",
                            help="name of the sending system; resources are remembered per source")

    def _progress(self, done: int, total: int) -> None:
        if total < PROGRESS_FROM:
            return
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\rpatients [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        from chartdesk.interop.fhir.importer import FhirImporter

        path = Path(options["path"])
        if not path.exists():
            raise CommandError(f"No such file or folder: {path}")
        user = get_user_model().objects.filter(username=options["by"]).first()
        if user is None:
            raise CommandError(f"No user {options['by']!r}.")
        try:
            with acting_as(channel="cli"):
                importer = FhirImporter(requested_by=user, source=options["source"], progress=self._progress)
                report = importer.run(path)
        except ChartdeskError as refusal:
            raise CommandError(refusal.message) from None
        for note in report.notes:
            self.stdout.write(f"note: {note}")
        for warning in report.warnings:
            self.stdout.write(f"warning: {warning}")
        for problem in report.problems:
            self.stderr.write(f"skipped: {problem}")
        created = ", ".join(f"{count} {kind}" for kind, count in sorted(report.created.items())) or "nothing"
        unchanged = sum(report.unchanged.values())
        self.stdout.write(f"Imported {created}; {unchanged} already imported (unchanged); "
                          f"{len(report.problems)} problem(s).")
        if report.not_kept:
            self.stdout.write("Not kept (types Chartdesk does not store): "
                              + ", ".join(f"{count} {kind}" for kind, count in sorted(report.not_kept.items())))
