"""Make the database itself refuse to change a signed version or a signed addendum.

The models refuse it in `save`, but a queryset `update()` or raw SQL skips `save`. Unsigned drafts
stay updatable (signing is itself the last update of the row), so the trigger fires only when the
stored row already carries a signature. PostgreSQL reuses the refusing function of 0002.
"""

from typing import Any

from django.db import migrations

TABLES = ("charts_documentversion", "charts_addendum")


def _name(table: str) -> str:
    return f"{table}_refuse_signed_update"


def freeze_signed_rows(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            schema_editor.execute(
                f'CREATE TRIGGER IF NOT EXISTS "{_name(table)}" BEFORE UPDATE ON "{table}" '
                "FOR EACH ROW WHEN OLD.signed_at IS NOT NULL "
                f"BEGIN SELECT RAISE(ABORT, 'chartdesk: UPDATE of a signed row of {table} is refused: "
                "make a correction or an addendum'); END;"
            )
        elif vendor == "postgresql":
            schema_editor.execute(
                f'CREATE TRIGGER "{_name(table)}" BEFORE UPDATE ON "{table}" '
                "FOR EACH ROW WHEN (OLD.signed_at IS NOT NULL) EXECUTE FUNCTION chartdesk_refuse_change()"
            )


def thaw_signed_rows(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{_name(table)}"')
        elif vendor == "postgresql":
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{_name(table)}" ON "{table}"')


class Migration(migrations.Migration):
    dependencies = [("charts", "0003_account_sequence")]

    operations = [migrations.RunPython(freeze_signed_rows, thaw_signed_rows)]
