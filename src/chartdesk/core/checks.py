"""System checks run by `chartdesk check` and at server start."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import connection


@register(Tags.database, deploy=True)
def sqlite_is_durable(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The PRAGMAs actually in force, not just the ones configured, must be WAL and FULL."""
    if connection.vendor != "sqlite" or settings.MODE != "production":
        return []
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
    errors = []
    if synchronous != 2:
        errors.append(Error(f"SQLite synchronous is {synchronous}, not FULL (2).", id="chartdesk.E001"))
    if journal.lower() != "wal":
        errors.append(Error(f"SQLite journal_mode is {journal}, not WAL.", id="chartdesk.E002"))
    return errors
