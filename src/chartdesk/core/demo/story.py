"""The demo's story: months of HIM work replayed in time order, each step at its own moment.

`step(at)` runs a block of real actions as if it were `at` (core.clock.story_time), then settles
what the apps would otherwise do at the commit (deficiency analysis), so it too carries the step's
time. `Timeline` gathers steps from every encounter and replays them in time order with the
nightly jobs (delinquency) between the days, as the department lived them. Outside a demo load
nothing reads the story time (see core/clock.py for why a context variable).
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta, tzinfo

from chartdesk.core.clock import story_time
from chartdesk.core.registry import demo_nightly, demo_settlers

# The latest a story step may happen: a little before the load, so nothing is stamped in the future.
SAFETY = timedelta(minutes=5)
NIGHTLY_AT = time(2, 0)  # when the nightly jobs run, site time


@contextmanager
def step(at: datetime) -> Iterator[datetime]:
    """Run the block at story time `at`, then settle the work deferred to the commit at that time."""
    with story_time(at):
        yield at
        for settle in demo_settlers():
            settle()


def working_moment(rng: random.Random, day: datetime, *, start: int = 8, end: int = 17) -> datetime:
    """A moment in working hours on `day`'s date (site time), moved to Monday when it falls on a weekend."""
    moment = day.replace(hour=rng.randint(start, end - 1), minute=rng.randint(0, 59), second=0, microsecond=0)
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    return moment


class Timeline:
    """Steps to replay in time order; ties keep the order they were added in."""

    def __init__(self, latest: datetime) -> None:
        self.latest = latest - SAFETY
        self._steps: list[tuple[datetime, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def fits(self, at: datetime) -> bool:
        return at <= self.latest

    def add(self, at: datetime, action: Callable[[], None]) -> None:
        heapq.heappush(self._steps, (at, next(self._order), action))

    def replay(self, zone: tzinfo) -> None:
        """Run every step at its time, and the nightly jobs at NIGHTLY_AT of each night in between."""
        nightly = demo_nightly()
        night: datetime | None = None
        while self._steps:
            at, _, action = heapq.heappop(self._steps)
            if nightly:
                night = self._nights_until(at, night, nightly, zone)
            with step(at):
                action()

    def _nights_until(self, at: datetime, night: datetime | None, nightly: list[Callable[[datetime], None]],
                      zone: tzinfo) -> datetime:
        local = at.astimezone(zone)
        first = datetime.combine(local.date(), NIGHTLY_AT, tzinfo=zone)
        night = night or (first if first > local else first + timedelta(days=1))
        while night <= at:
            with step(night):
                for run in nightly:
                    run(night)
            night = datetime.combine(night.date() + timedelta(days=1), NIGHTLY_AT, tzinfo=zone)
        return night
