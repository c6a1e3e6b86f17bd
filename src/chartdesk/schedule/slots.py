"""Slots computed from a schedule's weekly template, its blocks and the clinic's holidays.

Everything here works in the clinic's wall time: a template that opens at 08:00 opens at 08:00 on
both sides of a daylight-saving change, and so do the slots and the appointments booked in them.
A day's open time is the template hours valid that day, less the blocks that cover it; nothing is
open on a holiday. A slot starts every `slot_minutes` and fits when the whole visit lies inside
open time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from chartdesk.schedule.models import (
    HOLDING,
    Appointment,
    Block,
    Holiday,
    Schedule,
    TemplateHours,
    TimeOfDay,
    VisitType,
)

Interval = tuple[int, int]  # minutes after midnight, [start, end)
DAY_MINUTES = 24 * 60


def minutes_of(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def time_of(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _subtract(intervals: list[Interval], cut: Interval) -> list[Interval]:
    kept: list[Interval] = []
    for start, end in intervals:
        if cut[1] <= start or cut[0] >= end:
            kept.append((start, end))
            continue
        if start < cut[0]:
            kept.append((start, cut[0]))
        if cut[1] < end:
            kept.append((cut[1], end))
    return kept


@dataclass
class ScheduleRules:
    """What a schedule's open time depends on, loaded once for a run of days."""

    schedule: Schedule
    hours: list[TemplateHours]
    blocks: list[Block]
    holidays: set[date]

    @classmethod
    def load(cls, schedule: Schedule) -> ScheduleRules:
        return cls.load_many([schedule])[0]

    @classmethod
    def load_many(cls, schedules: list[Schedule]) -> list[ScheduleRules]:
        """The rules of many schedules in three queries (a search across fifty providers would make 150)."""
        ids = [schedule.pk for schedule in schedules]
        hours: dict[int, list[TemplateHours]] = defaultdict(list)
        for row in TemplateHours.objects.filter(schedule_id__in=ids):
            hours[row.schedule_id].append(row)
        blocks: dict[int, list[Block]] = defaultdict(list)
        for block in Block.objects.filter(schedule_id__in=ids, active=True):
            blocks[block.schedule_id].append(block)
        holidays: dict[int, set[date]] = defaultdict(set)
        clinic_ids = {schedule.clinic_id for schedule in schedules}
        for clinic_id, on_date in Holiday.objects.filter(clinic_id__in=clinic_ids).values_list("clinic_id", "on_date"):
            holidays[clinic_id].add(on_date)
        return [cls(schedule, hours[schedule.pk], blocks[schedule.pk], holidays[schedule.clinic_id])
                for schedule in schedules]

    def may_open(self, minutes: int, time_of_day: str) -> bool:
        """Whether any template hours could ever hold such a visit starting in that part of the day;
        a search that no schedule can satisfy ends at once instead of reading a year of appointments."""
        for row in self.hours:
            low, high = minutes_of(row.start_time), minutes_of(row.end_time) or DAY_MINUTES
            if high - low >= minutes and any(in_time_of_day(begin, time_of_day)
                                             for begin in range(low, high - minutes + 1, 5)):
                return True
        return False

    def open_intervals(self, day: date) -> list[Interval]:
        if day in self.holidays:
            return []
        intervals = sorted(
            (minutes_of(row.start_time), minutes_of(row.end_time) or DAY_MINUTES)
            for row in self.hours
            if row.weekday == day.weekday() and row.valid_from <= day and (row.valid_until is None
                                                                           or day <= row.valid_until)
        )
        for block in self.blocks:
            if not block.covers_day(day):
                continue
            if block.start_time is None or block.end_time is None:
                return []
            intervals = _subtract(intervals, (minutes_of(block.start_time), minutes_of(block.end_time) or DAY_MINUTES))
        return intervals

    def fits(self, day: date, start: time, minutes: int) -> bool:
        """Whether a visit of `minutes` starting at `start` lies wholly inside open time."""
        begin = minutes_of(start)
        return any(low <= begin and begin + minutes <= high for low, high in self.open_intervals(day))

    def slot_starts(self, day: date, minutes: int) -> list[int]:
        step = self.schedule.slot_minutes or 15
        starts: list[int] = []
        for low, high in self.open_intervals(day):
            begin = low
            while begin + minutes <= high:
                starts.append(begin)
                begin += step
        return starts


@dataclass(frozen=True)
class Taken:
    start: int
    end: int
    double_booking_allowed: bool


def taken_by_day(schedule_ids: Iterable[int], first: date, last: date,
                 excluding: int | None = None) -> dict[tuple[int, date], list[Taken]]:
    """The time held by active appointments of these schedules from `first` to `last`, by (schedule, day).

    `excluding` leaves one appointment out (the one being moved does not clash with itself).
    """
    held: dict[tuple[int, date], list[Taken]] = defaultdict(list)
    appointments = Appointment.objects.filter(schedule_id__in=list(schedule_ids), day__gte=first, day__lte=last,
                                              status__in=HOLDING)
    if excluding is not None:
        appointments = appointments.exclude(pk=excluding)
    rows = (appointments
            .values_list("schedule_id", "day", "start_time", "minutes", "visit_type__double_booking_allowed"))
    for schedule_id, day, start, minutes, double in rows.iterator(chunk_size=5000):
        begin = minutes_of(start)
        held[(schedule_id, day)].append(Taken(begin, begin + minutes, double))
    return held


def clashes(taken: list[Taken], begin: int, minutes: int, double_booking_allowed: bool) -> bool:
    """A visit overlapping a held one clashes unless both visit types allow double-booking."""
    end = begin + minutes
    return any(held.start < end and begin < held.end and not (double_booking_allowed and held.double_booking_allowed)
               for held in taken)


def in_time_of_day(begin: int, preference: str) -> bool:
    if preference == TimeOfDay.MORNING:
        return begin < 12 * 60
    if preference == TimeOfDay.AFTERNOON:
        return 12 * 60 <= begin < 17 * 60
    if preference == TimeOfDay.EVENING:
        return begin >= 17 * 60
    return True


@dataclass(frozen=True)
class Slot:
    schedule: Schedule
    day: date
    start: time
    minutes: int
    free: bool

    @property
    def end(self) -> time:
        return (datetime.combine(self.day, self.start) + timedelta(minutes=self.minutes)).time()


def day_slots(rules: ScheduleRules, day: date, visit_type: VisitType,
              taken: list[Taken] | None = None) -> list[Slot]:
    """Every slot of a day for a visit type, free or not."""
    if taken is None:
        taken = taken_by_day([rules.schedule.pk], day, day).get((rules.schedule.pk, day), [])
    return [Slot(rules.schedule, day, time_of(begin), visit_type.minutes,
                 not clashes(taken, begin, visit_type.minutes, visit_type.double_booking_allowed))
            for begin in rules.slot_starts(day, visit_type.minutes)]


def slot_visit(minutes: int) -> VisitType:
    """An unsaved visit of one slot's length that allows no double-booking: what a calendar shows."""
    return VisitType(code="SLOT", name="Slot", minutes=minutes, double_booking_allowed=False)


# Appointments are read a window at a time while searching forward: first one day (a free slot is
# usually found on it), then windows that grow to two weeks, so a full calendar is not read a day at a
# time and an open one is not read two weeks ahead for nothing.
SEARCH_WINDOWS_DAYS = (1, 3, 7, 14)


def next_free_slots(visit_type: VisitType, schedules: list[Schedule], *, from_day: date, time_of_day: str = "any",
                    horizon_days: int = 366, limit: int = 5, not_before: time | None = None) -> list[Slot]:
    """The earliest free slots for a visit type across `schedules`, from `from_day` (up to `limit`).

    `not_before` skips slots earlier than that time on `from_day` itself (today's past slots).
    """
    rules = [rule for rule in ScheduleRules.load_many(schedules) if rule.may_open(visit_type.minutes, time_of_day)]
    found: list[Slot] = []
    ids = [rule.schedule.pk for rule in rules]
    window_start = from_day
    last_day = from_day + timedelta(days=horizon_days)
    windows = 0
    while rules and window_start <= last_day and len(found) < limit:
        size = SEARCH_WINDOWS_DAYS[min(windows, len(SEARCH_WINDOWS_DAYS) - 1)]
        windows += 1
        window_end = min(window_start + timedelta(days=size - 1), last_day)
        held = taken_by_day(ids, window_start, window_end)
        day = window_start
        while day <= window_end and len(found) < limit:
            candidates: list[Slot] = []
            for rule in rules:
                taken = held.get((rule.schedule.pk, day), [])
                for begin in rule.slot_starts(day, visit_type.minutes):
                    if day == from_day and not_before is not None and begin < minutes_of(not_before):
                        continue
                    if not in_time_of_day(begin, time_of_day):
                        continue
                    if not clashes(taken, begin, visit_type.minutes, visit_type.double_booking_allowed):
                        candidates.append(Slot(rule.schedule, day, time_of(begin), visit_type.minutes, True))
            candidates.sort(key=lambda slot: (slot.start, slot.schedule.pk))
            found.extend(candidates[: limit - len(found)])
            day += timedelta(days=1)
        window_start = window_end + timedelta(days=1)
    return found
