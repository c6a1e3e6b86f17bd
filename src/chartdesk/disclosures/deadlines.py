"""The clocks of the privacy rule, as pure functions of dates (tests run them with fixed dates).

Each rule gives a number of days from receipt and allows one extension, which must be announced to
the individual in writing before the first deadline passes (164.524(b)(2), 164.526(b)(2),
164.528(c)(1)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class DeadlineRule:
    name: str
    citation: str
    days: int
    extension_days: int


RIGHT_OF_ACCESS = DeadlineRule("right of access", "45 CFR 164.524(b)(2)", 30, 30)
AMENDMENT = DeadlineRule("amendment", "45 CFR 164.526(b)(2)", 60, 30)
ACCOUNTING = DeadlineRule("accounting of disclosures", "45 CFR 164.528(c)(1)", 60, 30)
# Requests from third parties carry no regulatory clock; the department works them to the same
# 30 days so that nothing sits unseen in the queue.
THIRD_PARTY = DeadlineRule("department turnaround", "department policy", 30, 30)


def due_date(rule: DeadlineRule, received_on: date) -> date:
    """The first deadline: `rule.days` calendar days after receipt."""
    return received_on + timedelta(days=rule.days)


def extended_due_date(rule: DeadlineRule, received_on: date) -> date:
    """The deadline after the one extension the rule allows."""
    return received_on + timedelta(days=rule.days + rule.extension_days)


def extension_problem(rule: DeadlineRule, received_on: date, today: date, *, already_extended: bool,
                      notice: str) -> str:
    """Why the clock may not be extended today ("" when it may)."""
    if already_extended:
        return f"The {rule.name} deadline was already extended once; the rule allows one extension."
    if not notice.strip():
        return "Write the notice to the individual: the reasons for the delay and the date you will act by."
    if today > due_date(rule, received_on):
        return (f"The first deadline ({due_date(rule, received_on):%Y-%m-%d}) has passed; an extension must be "
                "announced before it.")
    return ""


@dataclass(frozen=True)
class Clock:
    due_on: date
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def urgency(self) -> str:
        """danger when overdue, warning in the last five days, ok otherwise (badge classes of the desk)."""
        if self.days_left < 0:
            return "danger"
        return "warning" if self.days_left <= 5 else "ok"

    @property
    def label(self) -> str:
        if self.days_left < 0:
            return f"{-self.days_left} day{'s' if self.days_left != -1 else ''} overdue"
        if self.days_left == 0:
            return "due today"
        return f"{self.days_left} day{'s' if self.days_left != 1 else ''} left"


def clock(due_on: date, today: date) -> Clock:
    return Clock(due_on=due_on, days_left=(due_on - today).days)
