"""`chartdesk deid export --patients MRN,... --out DIR` and `chartdesk deid text FILE`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError


class Command(BaseCommand):
    help = "De-identify (Safe Harbor): export a data set of patients, or print a text file de-identified."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="what", required=True)
        export = commands.add_parser("export", help="Write patients.csv, encounters.csv, documents.csv and "
                                                    "dataset.ndjson for the patients named by MRN.")
        export.add_argument("--patients", required=True, help="MRNs, comma-separated, or @FILE with one a line")
        export.add_argument("--out", required=True, help="folder to write the files into (created if missing)")
        export.add_argument("--dates", choices=["year", "shift"], default="year",
                            help="reduce dates to the year (Safe Harbor) or shift them per patient")
        text = commands.add_parser("text", help="Print the de-identified form of a free-text file.")
        text.add_argument("file")
        text.add_argument("--names", default="", help="extra names to remove, comma-separated")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "text":
            self._text(Path(options["file"]), options["names"])
        else:
            self._export(options["patients"], Path(options["out"]), options["dates"])

    def _text(self, path: Path, names: str) -> None:
        from chartdesk.disclosures.deid.export import staff_names
        from chartdesk.disclosures.deid.safe_harbor import TextScrubber

        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as problem:
            raise CommandError(f"Cannot read {path}: {problem}") from None
        known = staff_names() | {name.strip() for name in names.split(",") if name.strip()}
        self.stdout.write(TextScrubber(known_names=known).scrub(content))

    def _export(self, patients: str, out: Path, dates: str) -> None:
        from chartdesk.disclosures.deid.export import do_export_deidentified

        if patients.startswith("@"):
            try:
                mrns = Path(patients[1:]).read_text(encoding="utf-8").split()
            except OSError as problem:
                raise CommandError(f"Cannot read the MRN list {patients[1:]}: {problem}") from None
        else:
            mrns = [mrn for mrn in patients.replace(",", " ").split() if mrn]
        try:
            with acting_as(channel="cli"):
                files = do_export_deidentified(mrns, date_mode=dates, acting_user=None)
        except ChartdeskError as refusal:
            raise CommandError(refusal.message) from None
        try:
            out.mkdir(parents=True, exist_ok=True)
            for name, content in files.items():
                (out / name).write_text(content, encoding="utf-8")
        except OSError as problem:
            raise CommandError(f"Cannot write to {out}: {problem}") from None
        self.stdout.write(f"Wrote {', '.join(sorted(files))} for {len(mrns)} patient(s) to {out}")
