"""The time the actions stamp on what they write: the real time, except inside `story_time`.

The demo loader (core.demo) writes months of history through the real actions in one run, so a
visit coded in June must carry June's time in its case, its audit events and every row it writes.
Those actions read the time here instead of from `django.utils.timezone`; `story_time(at)` sets
the moment for the code run inside it.

Why a context variable and not a library that moves the process clock (time-machine, freezegun):
a training sandbox is built by the demo loader inside a web request (training.actions), while the
server's other threads go on serving other users. A moved process clock would stamp their audit
events, sessions and sign-in codes with the story's time. A context variable belongs to one thread
(and one asyncio task), so only the loader sees the story; everyone else reads the real clock, and
nothing of Django is patched. Outside `story_time` these functions are `timezone.now` and friends.

The story clock ticks: `now()` is the story moment plus the real time spent since it was set, so
the rows of one step keep their order, as they would on a real day.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

# (the story moment, time.monotonic() when it was set); None outside a story.
_story: contextvars.ContextVar[tuple[datetime, float] | None] = contextvars.ContextVar("chartdesk_story",
                                                                                       default=None)


def now() -> datetime:
    """The current time (aware, UTC), or the story's time inside `story_time`."""
    story = _story.get()
    if story is None:
        return timezone.now()
    at, set_at = story
    return at + timedelta(seconds=time.monotonic() - set_at)


def localdate() -> date:
    """Today in the site's time zone (the story's day inside `story_time`)."""
    return timezone.localtime(now()).date()


def localtime() -> datetime:
    """The current time in the site's time zone (the story's inside `story_time`)."""
    return timezone.localtime(now())


def in_story() -> bool:
    return _story.get() is not None


@contextmanager
def story_time(at: datetime) -> Iterator[datetime]:
    """Run the block as if it were `at` (an aware datetime): for the demo loader only."""
    if timezone.is_naive(at):
        raise ValueError("story_time needs an aware datetime (with its time zone).")
    token = _story.set((at.astimezone(UTC), time.monotonic()))
    try:
        yield at
    finally:
        _story.reset(token)
