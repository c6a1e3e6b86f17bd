"""`chartdesk schedule no-shows|send-reminders|no-show-rates`: the front office's scheduled work.

`no-shows` (cron, after the clinics close) marks the still-booked appointments of a finished day as
no-shows; `send-reminders` (cron, once a day) sends each appointment of the coming day its reminder,
once; `no-show-rates` prints the no-show rate per provider schedule over a period.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone

from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError
from chartdesk.schedule.day_sheet import do_mark_no_shows, no_show_rates
from chartdesk.schedule.reminders import do_send_reminders

PERMISSION_OF_STEP = {"no-shows": ("schedule", "work_day_sheet"), "send-reminders": ("schedule", "send_reminders")}


def _acting_user(username: str | None, step: str) -> Any:
    """The user the command acts as: --as, or the only active user who holds the step's permission."""
    User = get_user_model()
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        return user
    app_label, codename = PERMISSION_OF_STEP[step]
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    holders = list(User.objects.filter(Q(groups__permissions=permission) | Q(user_permissions=permission),
                                       is_active=True, is_superuser=False).distinct()[:2])
    if len(holders) != 1:
        raise CommandError("Say which front-desk user acts: --as USERNAME.")
    return holders[0]


def _day(raw: str | None, default: date) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"--date {raw!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Mark no-shows of a finished day, send appointment reminders, or print no-show rates per provider."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("step", choices=["no-shows", "send-reminders", "no-show-rates"])
        parser.add_argument("--date", help="no-shows: the day (default yesterday); send-reminders: the day of the "
                                           "appointments (default tomorrow); no-show-rates: the last day")
        parser.add_argument("--days", type=int, default=30, help="no-show-rates: how many days back (default 30)")
        parser.add_argument("--as", dest="username", help="the user who acts (recorded in the audit log)")

    def handle(self, *args: Any, step: str, **options: Any) -> None:
        today = timezone.localdate()
        if step == "no-show-rates":
            last = _day(options.get("date"), today)
            days = options["days"]
            if not 1 <= days <= 3660:
                raise CommandError("--days must be 1 to 3660.")
            for line in no_show_rates(last - timedelta(days=days - 1), last):
                self.stdout.write(f"{line.schedule}: {line.no_shows} of {line.due} ({line.rate:.1%})")
            return
        user = _acting_user(options.get("username"), step)
        try:
            with acting_as(channel="cli"):
                if step == "no-shows":
                    day = _day(options.get("date"), today - timedelta(days=1))
                    self.stdout.write(f"{do_mark_no_shows(day, acting_user=user)} appointments of {day} "
                                      "marked no-show")
                else:
                    day = _day(options.get("date"), today + timedelta(days=1))
                    run = do_send_reminders(day, acting_user=user)
                    self.stdout.write(f"{run.sent} reminders sent for {day}; {run.already_sent} already sent, "
                                      f"{run.no_address} without an address")
        except ChartdeskError as refusal:
            raise CommandError(refusal.message) from None
