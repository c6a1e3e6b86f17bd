"""`chartdesk filing sort --system terminal-digit|middle-digit|straight-numeric [--mrn] [FILE]`.

Reads record numbers one a line from standard input and, when given, from FILE (after stdin), and
prints them in filing order, as they were written. Blank lines are skipped. A line that is not a
record number stops the command with its line number, and nothing is printed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.filing.order import (
    NUMERIC_SYSTEMS,
    BadRecordNumber,
    filing_number_of_mrn,
    record_digits,
    sort_record_numbers,
)


class Command(BaseCommand):
    help = "Paper-chart filing tools: `sort` prints record numbers in the filing order of a system."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="tool", required=True)
        sort = commands.add_parser("sort", help="Print record numbers (one a line) in filing order.")
        sort.add_argument("--system", required=True, choices=[str(system) for system in NUMERIC_SYSTEMS])
        sort.add_argument("--mrn", action="store_true",
                          help="The numbers are Chartdesk MRNs: check their check digit and file by the serial.")
        sort.add_argument("file", nargs="?", help="A file of record numbers, read after standard input.")

    def handle(self, *args: Any, tool: str, system: str, mrn: bool, file: str | None, **options: Any) -> None:
        sources: list[tuple[str, list[str]]] = []
        if not sys.stdin.isatty():
            sources.append(("standard input", sys.stdin.read().splitlines()))
        if file:
            try:
                sources.append((file, Path(file).read_text(encoding="utf-8").splitlines()))
            except (OSError, UnicodeDecodeError) as problem:
                raise CommandError(f"Cannot read {file}: {problem}") from None
        numbers = []
        for source, lines in sources:
            for line_number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    filing_number_of_mrn(line) if mrn else record_digits(line)
                except BadRecordNumber as problem:
                    raise CommandError(f"{source}, line {line_number}: {problem}") from None
                numbers.append(line.strip())
        for number in sort_record_numbers(numbers, system, mrns=mrn):
            self.stdout.write(number)
