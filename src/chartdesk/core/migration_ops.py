"""Migration operations that make the database itself refuse to destroy the legal record.

The ORM refuses deletes too, but raw SQL, a careless script or a compromised app account must not
be able to erase a row either. SQLite gets triggers that RAISE(ABORT); PostgreSQL gets a trigger
function that raises, covering TRUNCATE as well.
"""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations.base import Operation

PG_REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION chartdesk_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'chartdesk: %% on %% is refused: these rows are never changed or deleted',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


class RefuseRowChanges(Operation):
    """Refuse DELETE (and optionally UPDATE) on a table, and TRUNCATE on PostgreSQL."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, table: str, *, refuse_update: bool = False) -> None:
        self.table = table
        self.refuse_update = refuse_update

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.table], {"refuse_update": self.refuse_update})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _operations(self) -> list[str]:
        return ["DELETE", "UPDATE"] if self.refuse_update else ["DELETE"]

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        vendor = schema_editor.connection.vendor
        for operation in self._operations():
            name = f"{self.table}_refuse_{operation.lower()}"
            if vendor == "sqlite":
                schema_editor.execute(
                    f'CREATE TRIGGER IF NOT EXISTS "{name}" BEFORE {operation} ON "{self.table}" '
                    f"BEGIN SELECT RAISE(ABORT, 'chartdesk: {operation} on {self.table} is refused: "
                    f"these rows are never changed or deleted'); END;"
                )
            elif vendor == "postgresql":
                schema_editor.execute(PG_REFUSE_FUNCTION)
                schema_editor.execute(
                    f'CREATE TRIGGER "{name}" BEFORE {operation} ON "{self.table}" '
                    "FOR EACH ROW EXECUTE FUNCTION chartdesk_refuse_change()"
                )
        if vendor == "postgresql":
            schema_editor.execute(
                f'CREATE TRIGGER "{self.table}_refuse_truncate" BEFORE TRUNCATE ON "{self.table}" '
                "FOR EACH STATEMENT EXECUTE FUNCTION chartdesk_refuse_change()"
            )

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        vendor = schema_editor.connection.vendor
        names = [f"{self.table}_refuse_{op.lower()}" for op in self._operations()]
        if vendor == "postgresql":
            names.append(f"{self.table}_refuse_truncate")
        for name in names:
            if vendor == "sqlite":
                schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
            elif vendor == "postgresql":
                schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}" ON "{self.table}"')

    def describe(self) -> str:
        what = "DELETE and UPDATE" if self.refuse_update else "DELETE"
        return f"Refuse {what} on {self.table}"


class RestoreRefusalsAfterRebuild(RefuseRowChanges):
    """Put a table's refusals back after a change that SQLite makes by rebuilding the table (adding a
    column with a default, altering one), which drops its triggers. PostgreSQL alters the table in
    place and keeps them, so there this does nothing; going backwards it does nothing either, as the
    table is rebuilt again by the reversed change."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        pass

    def describe(self) -> str:
        return f"Restore the refusals on {self.table} after SQLite rebuilt it"


class LetPatientLinkMove(Operation):
    """On a table that refuses UPDATE (rows written once), let only the listed columns change: a
    patient merge or unmerge re-points a disclosure at the surviving chart, while every other
    column stays frozen.

    SQLite triggers cannot compare whole rows, so the trigger lists the frozen columns as the table
    has them now (UPDATE OF ...): a later migration that adds a column to such a table must apply
    this operation again.
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, table: str, movable: tuple[str, ...] = ("patient_id",)) -> None:
        self.table = table
        self.movable = tuple(movable)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.table], {"movable": self.movable})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    @property
    def _name(self) -> str:
        return f"{self.table}_refuse_update"

    def _drop(self, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{self._name}"')
        elif schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{self._name}" ON "{self.table}"')

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        self._drop(schema_editor)
        vendor = schema_editor.connection.vendor
        if vendor == "sqlite":
            with schema_editor.connection.cursor() as cursor:
                columns = [row[1] for row in cursor.execute(f'PRAGMA table_info("{self.table}")').fetchall()]
            frozen = ", ".join(f'"{column}"' for column in columns if column not in self.movable)
            schema_editor.execute(
                f'CREATE TRIGGER "{self._name}" BEFORE UPDATE OF {frozen} ON "{self.table}" '
                f"BEGIN SELECT RAISE(ABORT, 'chartdesk: UPDATE on {self.table} is refused: "
                f"these rows are never changed or deleted'); END;"
            )
        elif vendor == "postgresql":
            keys = ", ".join(f"'{column}'" for column in self.movable)
            schema_editor.execute(
                f'CREATE TRIGGER "{self._name}" BEFORE UPDATE ON "{self.table}" FOR EACH ROW '
                f"WHEN ((to_jsonb(OLD) - ARRAY[{keys}]) IS DISTINCT FROM (to_jsonb(NEW) - ARRAY[{keys}])) "
                "EXECUTE FUNCTION chartdesk_refuse_change()"
            )

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        self._drop(schema_editor)
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(
                f'CREATE TRIGGER "{self._name}" BEFORE UPDATE ON "{self.table}" '
                f"BEGIN SELECT RAISE(ABORT, 'chartdesk: UPDATE on {self.table} is refused: "
                f"these rows are never changed or deleted'); END;"
            )
        elif schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f'CREATE TRIGGER "{self._name}" BEFORE UPDATE ON "{self.table}" '
                "FOR EACH ROW EXECUTE FUNCTION chartdesk_refuse_change()"
            )

    def describe(self) -> str:
        return f"Let only {', '.join(self.movable)} change on {self.table}"
