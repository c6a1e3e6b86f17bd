"""`chartdesk completion analyse|remind|send-reminders|delinquency|nightly`: the scheduled work of chart
completion. `send-reminders` is the one for cron: it marks delinquent records, emails each provider one
digest and HIM its delinquency notice, and sends nothing twice however often it runs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chartdesk.charts.models import Encounter, EncounterStatus
from chartdesk.completion.actions import do_update_delinquency
from chartdesk.completion.analysis import analyse_encounters
from chartdesk.completion.notices import do_send_completion_notices


class Command(BaseCommand):
    help = ("Analyse finished encounters for deficiencies; send reminder digests and delinquency notices "
            "(send-reminders, for cron); mark delinquent records.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("step", choices=["analyse", "remind", "send-reminders", "delinquency", "nightly"])

    def handle(self, *args: Any, step: str, **options: Any) -> None:
        if step in ("analyse", "nightly"):
            ids = Encounter.objects.filter(status=EncounterStatus.FINISHED).values_list("pk", flat=True)
            summary = analyse_encounters(ids.iterator())
            self.stdout.write(f"analysed {summary.encounters} encounters: {summary.opened} deficiencies opened, "
                              f"{summary.completed} completed")
        if step == "delinquency":
            self.stdout.write(f"{do_update_delinquency()} records became delinquent")
        if step in ("remind", "send-reminders", "nightly"):
            run = do_send_completion_notices()
            self.stdout.write(
                f"{run.digests} reminder digests ({run.reminders} deficiency reminders), "
                f"{run.delinquency_notices} delinquency notices ({run.newly_delinquent} records newly delinquent); "
                f"{run.emailed} emailed, {run.in_app_only} in-app only"
            )
