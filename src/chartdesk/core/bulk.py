"""Inserting many rows at once without leaving the receivers of `post_save` behind.

`bulk_create` sends no signals, yet other apps learn of changes through `post_save` (FHIR version
keeping, deficiency analysis): a bulk path that skipped them would leave stale versions and
unanalysed encounters. `create_rows` inserts in a few statements and then sends `post_save`
(created=True) for each row, exactly as `save()` would have, so every receiver sees every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.db.models import Model
from django.db.models.signals import post_save

ModelRow = TypeVar("ModelRow", bound=Model)
# Keeps each INSERT under SQLite's bound-parameter limit for the widest rows here.
BATCH_SIZE = 500


def create_rows(model: type[ModelRow], rows: Sequence[ModelRow], *, batch_size: int = BATCH_SIZE) -> list[ModelRow]:
    """Insert `rows` (primary keys filled in, on SQLite and PostgreSQL) and announce each one."""
    if not rows:
        return []
    made = model._default_manager.bulk_create(list(rows), batch_size=batch_size)
    using = made[0]._state.db
    for row in made:
        post_save.send(sender=model, instance=row, created=True, update_fields=None, raw=False, using=using)
    return made

