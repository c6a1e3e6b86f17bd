"""The clocks of the privacy rule, run on fixed dates."""

from __future__ import annotations

from datetime import date

import pytest

from chartdesk.disclosures import deadlines

RECEIVED = date(2026, 1, 15)


def test_right_of_access_is_due_thirty_days_after_receipt():
    assert deadlines.due_date(deadlines.RIGHT_OF_ACCESS, RECEIVED) == date(2026, 2, 14)


def test_right_of_access_extends_once_by_thirty_days():
    assert deadlines.extended_due_date(deadlines.RIGHT_OF_ACCESS, RECEIVED) == date(2026, 3, 16)


def test_amendment_is_due_in_sixty_days_and_extends_to_ninety():
    assert deadlines.due_date(deadlines.AMENDMENT, RECEIVED) == date(2026, 3, 16)
    assert deadlines.extended_due_date(deadlines.AMENDMENT, RECEIVED) == date(2026, 4, 15)


def test_accounting_is_due_in_sixty_days():
    assert deadlines.due_date(deadlines.ACCOUNTING, RECEIVED) == date(2026, 3, 16)


def test_a_deadline_crossing_a_leap_day_counts_calendar_days():
    assert deadlines.due_date(deadlines.RIGHT_OF_ACCESS, date(2028, 2, 10)) == date(2028, 3, 11)


def test_an_extension_needs_a_written_notice():
    problem = deadlines.extension_problem(deadlines.RIGHT_OF_ACCESS, RECEIVED, date(2026, 2, 1),
                                          already_extended=False, notice="  ")
    assert "notice" in problem


def test_an_extension_is_refused_after_the_first_deadline_passed():
    problem = deadlines.extension_problem(deadlines.RIGHT_OF_ACCESS, RECEIVED, date(2026, 2, 15),
                                          already_extended=False, notice="Records are in off-site storage.")
    assert problem.startswith("The first deadline (2026-02-14) has passed")


def test_an_extension_on_the_due_date_itself_is_allowed():
    assert deadlines.extension_problem(deadlines.RIGHT_OF_ACCESS, RECEIVED, date(2026, 2, 14),
                                       already_extended=False, notice="Records are in off-site storage.") == ""


def test_only_one_extension_is_allowed():
    problem = deadlines.extension_problem(deadlines.AMENDMENT, RECEIVED, date(2026, 2, 1),
                                          already_extended=True, notice="Again")
    assert "already extended once" in problem


@pytest.mark.parametrize(("today", "label", "urgency"), [
    (date(2026, 2, 1), "13 days left", "ok"),
    (date(2026, 2, 10), "4 days left", "warning"),
    (date(2026, 2, 13), "1 day left", "warning"),
    (date(2026, 2, 14), "due today", "warning"),
    (date(2026, 2, 15), "1 day overdue", "danger"),
    (date(2026, 2, 20), "6 days overdue", "danger"),
])
def test_the_clock_reads_the_days_left_or_overdue(today, label, urgency):
    shown = deadlines.clock(date(2026, 2, 14), today)
    assert (shown.label, shown.urgency) == (label, urgency)
