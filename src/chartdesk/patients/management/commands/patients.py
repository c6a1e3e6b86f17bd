"""`chartdesk patients merge SURVIVOR_MRN RETIRED_MRN` and `chartdesk patients unmerge MERGE_ID`.

Both run the same actions as the desk, as a named user (whose permissions and chart access are
checked), with a reason; the audit events say they came from the command line.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.patients.merge_actions import do_merge_patients, do_unmerge_patients
from chartdesk.patients.models import MergeEvent, Patient


class Command(BaseCommand):
    help = "Patient index tools: merge a duplicate MRN into its survivor, or undo a merge."

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

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"--user: no active user is called {options['user']!r}.")
        try:
            with acting_as(channel="cli"):
                if options["subcommand"] == "merge":
                    self._merge(options["survivor_mrn"], options["retired_mrn"], options["reason"], user)
                else:
                    self._unmerge(options["merge_id"], options["reason"], user)
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

    def _unmerge(self, merge_id: int, reason: str, user: Any) -> None:
        event = MergeEvent.objects.filter(pk=merge_id).first()
        if event is None:
            raise CommandError(f"MERGE_ID: there is no merge #{merge_id}.")
        do_unmerge_patients(event, reason=reason, acting_user=user)
        self.stdout.write(f"merge #{event.pk} undone: MRN {event.retired_mrn} is its own chart again")
        for item in event.review:
            self.stdout.write(f"  to review: {item['record']} ({item['why']})")
