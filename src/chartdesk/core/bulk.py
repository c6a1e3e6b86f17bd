"""Inserting many rows at once without leaving the receivers of `post_save` behind.

`bulk_create` sends no signals, yet other apps learn of changes through `post_save` (FHIR version
keeping, deficiency analysis): a bulk path that skipped them would leave stale versions and
unanalysed encounters. `create_rows` inserts in a few statements and then sends `post_save`
(created=True) for each row, exactly as `save()` would have, so every receiver sees every row.

`insert_rows` is the insert itself, for the hot bulk paths (FHIR import, audit chain, source records).
Profiling a Synthea import showed Django's `bulk_create` spending most of its time compiling the SQL
object by object (an expression check, a placeholder and a generator per value, the statement
assembled afresh per batch): a third of the import. `insert_rows` builds each statement once per
table and batch size, and converts each value with the field's own `pre_save` and
`get_db_prep_save`, the same conversion Django applies, so the stored values are identical. Rows
it cannot insert that way (a primary key already set, a database expression or default as a
value, a field with its own placeholder, a backend without RETURNING) go through `bulk_create`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import Field, Model
from django.db.models.signals import post_save

ModelRow = TypeVar("ModelRow", bound=Model)
# Keeps each INSERT under SQLite's bound-parameter limit for the widest rows here.
BATCH_SIZE = 500


def create_rows(model: type[ModelRow], rows: Sequence[ModelRow], *, batch_size: int = BATCH_SIZE) -> list[ModelRow]:
    """Insert `rows` (primary keys filled in, on SQLite and PostgreSQL) and announce each one."""
    if not rows:
        return []
    made = insert_rows(model, rows, batch_size=batch_size)
    using = made[0]._state.db
    for row in made:
        post_save.send(sender=model, instance=row, created=True, update_fields=None, raw=False, using=using)
    return made


def _insertable_fields(model: type[Model]) -> list[Field[Any, Any]] | None:
    """The columns an INSERT of a new row names (as `bulk_create` picks them), or None where a field
    needs SQL of its own."""
    opts = model._meta
    fields = [field for field in opts.concrete_fields if not field.generated and field is not opts.auto_field]
    if opts.auto_field is None or any(hasattr(field, "get_placeholder") for field in fields):
        return None
    return fields


def insert_rows(model: type[ModelRow], rows: Sequence[ModelRow], *, batch_size: int = BATCH_SIZE,
                returning: bool = True) -> list[ModelRow]:
    """Insert new `rows` of `model` (no primary key yet) with one statement per batch, as `bulk_create`
    would store them; with `returning` their primary keys are filled in from the database, without it
    the rows go in with one `executemany` and are left as they were (no key). Sends no signals (see
    `create_rows`)."""
    rows = list(rows)
    if not rows:
        return rows
    using = router.db_for_write(model)
    connection = connections[using]
    fields = _insertable_fields(model)
    if (fields is None or not connection.features.can_return_rows_from_bulk_insert
            or any(row.pk not in (None, "") for row in rows)):  # Django's own test for a key set
        return model._default_manager.using(using).bulk_create(rows, batch_size=batch_size)
    values = []
    for row in rows:
        row._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]  # as bulk_create does
        converted = [field.get_db_prep_save(field.pre_save(row, True), connection=connection) for field in fields]
        if any(hasattr(value, "resolve_expression") for value in converted):  # a database default or expression
            return model._default_manager.using(using).bulk_create(rows, batch_size=batch_size)
        values.append(converted)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    one_row = f"({', '.join(['%s'] * len(fields))})"
    pk = model._meta.pk
    assert pk is not None  # a concrete model always has one
    # Only the model's own (quoted) table and column names go into the SQL; every value is a parameter.
    with connection.cursor() as cursor:
        if not returning:
            # One prepared statement run for every row: nothing to read back.
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {one_row}", values)  # noqa: S608
            return rows
        size = max(1, min(batch_size, connection.ops.bulk_batch_size(fields, rows)))
        statements: dict[int, str] = {}
        for start in range(0, len(rows), size):
            batch = values[start:start + size]
            if len(batch) not in statements:
                statements[len(batch)] = (f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                                          f"{', '.join([one_row] * len(batch))} RETURNING {quote(pk.column)}")
            cursor.execute(statements[len(batch)], [value for converted in batch for value in converted])
            # RETURNING gives the keys in VALUES order on both engines (bulk_create relies on it too).
            for row, (key,) in zip(rows[start:start + size], cursor.fetchall(), strict=True):
                setattr(row, pk.attname, key)
    for row in rows:
        row._state.adding = False
        row._state.db = using
    return rows
