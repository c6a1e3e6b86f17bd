"""`chartdesk patients merge SURVIVOR_MRN RETIRED_MRN`, `chartdesk patients unmerge MERGE_ID`,
`chartdesk patients import FILE.csv --source NAME`, `chartdesk patients duplicates scan|train` and
`chartdesk patients overlays scan [--json]`.

They run the same actions as the desk, as a named user (whose permissions and chart access are
checked); the audit events say they came from the command line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.patients.duplicates import do_scan_duplicates, do_train_model, pair_as_json
from chartdesk.patients.import_actions import (
    do_finish_import_run,
    do_load_import_chunk,
    do_start_import_run,
    require_import_permission,
)
from chartdesk.patients.importing import ImportRefused, clean_source, file_digest, parse_file
from chartdesk.patients.merge_actions import do_merge_patients, do_unmerge_patients
from chartdesk.patients.models import MergeEvent, Patient
from chartdesk.patients.overlay_scan import run_overlay_scan


class Command(BaseCommand):
    help = "Patient index tools: merge a duplicate MRN into its survivor, undo a merge, load a legacy index."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", title="subcommands", required=True)
        merge = commands.add_parser("merge", help="merge RETIRED_MRN into SURVIVOR_MRN (one person, two MRNs)")
        merge.add_argument("survivor_mrn", metavar="SURVIVOR_MRN")
        merge.add_argument("retired_mrn", metavar="RETIRED_MRN")
        unmerge = commands.add_parser("unmerge", help="undo merge MERGE_ID exactly")
        unmerge.add_argument("merge_id", metavar="MERGE_ID", type=int)
        for sub in (merge, unmerge):
            sub.add_argument("--reason", required=True, help="why (kept in the merge history and the audit log)")
            sub.add_argument("--user", required=True, metavar="USERNAME", help="the HIM manager doing it")
        load = commands.add_parser("import", help="load a legacy patient index (CSV, see docs/patients-import.md)")
        load.add_argument("file", metavar="FILE.csv")
        load.add_argument("--source", required=True, help="the legacy system: the issuer of its source_id values")
        load.add_argument("--user", required=True, metavar="USERNAME", help="the HIM manager loading it")
        load.add_argument("--skip-bad", action="store_true",
                          help="load the good rows of a file with malformed ones (those are listed, not loaded)")
        load.add_argument("--chunk-size", type=int, default=500, help="rows per committed transaction")
        load.add_argument("--no-progress", action="store_true", help="no progress bar")
        duplicates = commands.add_parser("duplicates", help="find duplicate charts across the whole index")
        steps = duplicates.add_subparsers(dest="step", title="steps", required=True)
        scan = steps.add_parser("scan", help="score the index with the trained model and fill the work queue")
        scan.add_argument("--json", action="store_true", help="print one JSON object per open pair")
        train = steps.add_parser("train", help="re-estimate the model on the index (no labels needed)")
        train.add_argument("--output", default="",
                           help="where to write the model (JSON); by default the site's model that the scan and "
                                "registration-time matching read (settings.MPI_MODEL_PATH)")
        overlays = commands.add_parser("overlays", help="find charts that may hold two people (overlays)")
        overlay_steps = overlays.add_subparsers(dest="step", title="steps", required=True)
        overlay_scan = overlay_steps.add_parser(
            "scan", help="compare what each chart's encounters stated and fill the overlay list")
        overlay_scan.add_argument("--json", action="store_true",
                                  help="print one JSON object: the counts and every overlay to review")
        for sub in (scan, train, overlay_scan):
            sub.add_argument("--user", required=True, metavar="USERNAME", help="the HIM manager running it")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"--user: no active user is called {options['user']!r}.")
        try:
            with acting_as(channel="cli"):
                if options["subcommand"] == "merge":
                    self._merge(options["survivor_mrn"], options["retired_mrn"], options["reason"], user)
                elif options["subcommand"] == "import":
                    self._import(options, user)
                elif options["subcommand"] == "duplicates":
                    self._duplicates(options, user)
                elif options["subcommand"] == "overlays":
                    self._overlays(options, user)
                else:
                    self._unmerge(options["merge_id"], options["reason"], user)
        except ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(problem)
            raise CommandError(refused.message + " Fix the rows, or rerun with --skip-bad.") from None
        except NotFound as missing:
            raise CommandError(missing.message) from None
        except ChartdeskError as refusal:
            raise CommandError(f"{refusal.message} Nothing was changed.") from None

    def _patient(self, mrn: str, argument: str) -> Patient:
        patient = Patient.objects.filter(mrn=mrn.strip()).first()
        if patient is None:
            raise CommandError(f"{argument}: no patient has MRN {mrn!r}.")
        return patient

    def _merge(self, survivor_mrn: str, retired_mrn: str, reason: str, user: Any) -> None:
        survivor = self._patient(survivor_mrn, "SURVIVOR_MRN")
        retired = self._patient(retired_mrn, "RETIRED_MRN")
        event = do_merge_patients(survivor, retired, reason=reason, acting_user=user)
        moved = ", ".join(f"{key} {count}" for key, count in sorted(event.moved_counts.items())) or "nothing"
        self.stdout.write(f"merge #{event.pk}: MRN {event.retired_mrn} into MRN {event.survivor_mrn}; moved {moved}")

    def _overlays(self, options: dict[str, Any], user: Any) -> None:
        found = run_overlay_scan(acting_user=user)
        if options["json"]:
            self.stdout.write(json.dumps(found, sort_keys=True))
            return
        summary = found["summary"]
        self.stdout.write(f"overlay scan: {summary['charts_checked']} charts checked, "
                          f"{summary['open_cases']} on the overlay list")
        for case in found["overlays"]:
            self.stdout.write(f"  MRN {case['mrn']}: {', '.join(case['fields'])} ({case['status']})")

    def _unmerge(self, merge_id: int, reason: str, user: Any) -> None:
        event = MergeEvent.objects.filter(pk=merge_id).first()
        if event is None:
            raise CommandError(f"MERGE_ID: there is no merge #{merge_id}.")
        do_unmerge_patients(event, reason=reason, acting_user=user)
        self.stdout.write(f"merge #{event.pk} undone: MRN {event.retired_mrn} is its own chart again")
        for item in event.review:
            self.stdout.write(f"  to review: {item['record']} ({item['why']})")

    def _import(self, options: dict[str, Any], user: Any) -> None:
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size: at least 1.")
        require_import_permission(user)
        source = clean_source(options["source"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"FILE: {options['file']!r} is not a file.")
        digest = file_digest(path)
        parsed = parse_file(path, source=source)
        if parsed.problems and not options["skip_bad"]:
            raise ImportRefused(parsed.problems)
        for problem in parsed.problems:
            self.stderr.write(f"skipped {problem}")
        run, resumed = do_start_import_run(source=source, file_name=path.name, file_sha256=digest,
                                           skipped_bad=len(parsed.problems), acting_user=user)
        if resumed:
            self.stdout.write(f"import #{run.pk}: continuing after line {run.last_line}")
        conflicts, duplicates = [], []
        size = options["chunk_size"]
        rows = [row for row in parsed.rows if row.line > run.last_line]
        with tqdm(total=len(rows), unit="row", file=sys.stderr, disable=options["no_progress"] or None) as bar:
            for start in range(0, len(rows), size):
                chunk = rows[start:start + size]
                report = do_load_import_chunk(run, chunk, acting_user=user)
                conflicts += report.conflicts
                duplicates += report.duplicates
                bar.update(len(chunk))
        last_line = max([run.last_line, *(row.line for row in parsed.rows), *parsed.bad_lines])
        run = do_finish_import_run(run, last_line=last_line, acting_user=user)
        for line in conflicts:
            self.stdout.write(f"conflict {line}")
        for line in duplicates:
            self.stdout.write(f"likely duplicate {line}")
        counts = run.counts
        self.stdout.write(
            f"import #{run.pk} from {source}: {counts['loaded']} loaded ({counts['incomplete']} incomplete), "
            f"{counts['already_loaded']} already loaded, {counts['conflicts']} conflicts, "
            f"{counts['skipped_bad']} malformed rows skipped, {counts['likely_duplicates']} likely duplicates"
        )

    def _duplicates(self, options: dict[str, Any], user: Any) -> None:
        if options["step"] == "train":
            output = Path(options["output"] or settings.MPI_MODEL_PATH)
            if not output.parent.is_dir():
                raise CommandError(f"--output: {str(output.parent)!r} is not a folder.")
            trained = do_train_model(output, acting_user=user)
            self.stdout.write(f"model trained on {trained} charts, written to {output}")
            return
        scan, pairs = do_scan_duplicates(acting_user=user)
        if options["json"]:
            for pair in pairs:
                self.stdout.write(json.dumps(pair_as_json(pair), sort_keys=True))
            return
        matches = sum(pair.band == "match" for pair in pairs)
        self.stdout.write(f"duplicate scan #{scan.pk}: {scan.patients} charts, {scan.pairs} pairs in the work queue "
                          f"({matches} match, {scan.pairs - matches} review), duplicate rate "
                          f"{scan.duplicate_rate:.1%}, {scan.seconds:.1f} s")
