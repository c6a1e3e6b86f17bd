"""`chartdesk reports send-due`: email every scheduled report that is due (for cron; a second run in
the same period sends nothing)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chartdesk.core.context import acting_as
from chartdesk.reports.scheduling import do_send_due_reports


class Command(BaseCommand):
    help = "Email the scheduled reports that are due (send-due, for cron)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("step", choices=["send-due"])

    def handle(self, *args: Any, step: str, **options: Any) -> None:
        with acting_as(channel="cli"):
            run = do_send_due_reports()
        self.stdout.write(f"{len(run.sent)} scheduled reports sent")
        for pk, why in run.refused:
            self.stdout.write(f"scheduled report {pk} not sent: {why}")
