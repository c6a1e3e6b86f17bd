"""Reads that may come from a streaming replica (CHARTDESK_REPLICA_URL), and nothing else.

A report or an export reads a great deal and writes only its audit events. Where a replica is
configured, the code paths marked read-only (`reads_from_replica()`: the reports app's pages, the FHIR
bulk export's reading of charts) send their reads there, so the primary keeps its capacity for the
desk's writes. Every write goes to the primary, always, and so does every read of the tables a
request or a writer depends on being current: the audit chain (its head is locked and extended by
the primary only; an audit report must show every event written before it was opened), sessions,
log-in attempts, jobs and their queue. Without a replica every read goes to the primary.

A replica lags the primary by the time it takes to replay the WAL it is sent (milliseconds on a
healthy link): a report may miss a change made in that moment, which a report can bear and a write
cannot, which is why nothing outside these paths reads there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
REPLICA = "replica"
# Apps whose tables are read from the primary even inside a read-only path (see the module docstring).
PRIMARY_ONLY_APPS = frozenset({"audit", "sessions", "axes", "jobs", "django_tasks_db", "otp_totp", "django_otp"})

_reading_from_replica: ContextVar[bool] = ContextVar("chartdesk_reading_from_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def reads_from_replica() -> Iterator[None]:
    """Mark a read-only code path: its reads may be answered by the replica."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def reading_from_replica() -> bool:
    return _reading_from_replica.get() and replica_configured()


class ReplicaRouter:
    """Django database router: reads of a marked path to the replica, everything else to the primary."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        if reading_from_replica() and model._meta.app_label not in PRIMARY_ONLY_APPS:
            return REPLICA
        # Said outright rather than left to Django, which would follow an instance read from the
        # replica back there for its related rows even outside a read-only path.
        return PRIMARY

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool:
        return True  # one database, copied: a row read from the replica is the primary's row

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == PRIMARY  # the replica replays the primary's WAL, migrations included


class ReplicaReadsMiddleware:
    """GET and HEAD requests to a view of a read-only app (settings.REPLICA_READ_APPS: the reports app)
    read from the replica; the audit events those views record still go to the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable[..., HttpResponse], args: Any,
                     kwargs: Any) -> HttpResponse | None:
        if request.method not in ("GET", "HEAD") or not replica_configured():
            return None
        module = getattr(view, "__module__", "") or ""
        if any(module == app or module.startswith(app + ".") for app in settings.REPLICA_READ_APPS):
            with reads_from_replica():
                return view(request, *args, **kwargs)
        return None
