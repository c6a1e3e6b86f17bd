"""`chartdesk completion analyse|remind|delinquency`: the nightly catch-up of chart completion."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chartdesk.charts.models import Encounter, EncounterStatus
from chartdesk.completion.actions import do_send_reminders, do_update_delinquency
from chartdesk.completion.analysis import analyse_encounters


class Command(BaseCommand):
    help = "Analyse finished encounters for deficiencies, send reminders by age, mark delinquent records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("step", choices=["analyse", "remind", "delinquency", "nightly"])

    def handle(self, *args: Any, step: str, **options: Any) -> None:
        if step in ("analyse", "nightly"):
            ids = Encounter.objects.filter(status=EncounterStatus.FINISHED).values_list("pk", flat=True)
            summary = analyse_encounters(ids.iterator())
            self.stdout.write(f"analysed {summary.encounters} encounters: {summary.opened} deficiencies opened, "
                              f"{summary.completed} completed")
        if step in ("remind", "nightly"):
            self.stdout.write(f"sent {do_send_reminders()} reminders")
        if step in ("delinquency", "nightly"):
            self.stdout.write(f"{do_update_delinquency()} records became delinquent")
