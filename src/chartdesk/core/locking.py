"""Row locks taken inside an action's transaction, written once.

An action that reads a status and then writes a new one locks the row first, so two users acting on
one record at once are serialised instead of both passing the check (each caller says why in a
comment). `only_self` locks just this table's row: PostgreSQL cannot lock the nullable side of an
outer join that `select_related` may add.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model

RecordT = TypeVar("RecordT", bound=Model)


def lock_row(record: RecordT, *related: str, only_self: bool = False) -> RecordT:
    """`record` read again under a row lock (SELECT ... FOR UPDATE), with `related` joined in."""
    manager: Any = type(record)._default_manager
    rows = manager.select_for_update(of=("self",)) if only_self else manager.select_for_update()
    return rows.select_related(*related).get(pk=record.pk)  # type: ignore[no-any-return]
