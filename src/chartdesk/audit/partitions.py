"""The audit trail partitioned by month on PostgreSQL (docs/audit.md, "Partitions").

`audit_auditevent` is PARTITION BY RANGE (occurred_at): one partition per calendar month (UTC), named
`audit_auditevent_yYYYYmMM`, and a default partition that takes any event no monthly partition
covers, so an insert never fails for want of a partition. `ensure_partitions` creates the months
ahead (the `audit partitions` command and the periodic job in jobs/maintenance.py call it);
`PartitionAuditTrail` is the migration operation that converts an existing plain table.

The refusals of the trail: the row triggers refusing UPDATE and DELETE are declared on the
partitioned table, and PostgreSQL clones them onto every partition, present and future, however it
was made. TRUNCATE is a statement trigger, which PostgreSQL does not clone: each partition gets its
own here, and `ensure_partitions` gives it to any partition that lacks it (one made by hand).

SQLite keeps the plain table: everything here is a no-op there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.operations.base import Operation

from chartdesk.core.errors import ChartdeskError
from chartdesk.core.migration_ops import PG_REFUSE_FUNCTION, RefuseRowChanges

TABLE = "audit_auditevent"
DEFAULT_PARTITION = f"{TABLE}_default"
DEFAULT_AHEAD = 3  # months created beyond the current one
PRIMARY_KEY = f"{TABLE}_pkey"
# PostgreSQL lets a partitioned table's unique constraints only include the partition key, so
# "(sequence, occurred_at)" no longer says one event per sequence number. The trigger says it again:
# an insert whose number is taken (a writer numbering from a stale chain head) fails as a unique
# violation, so the caller's change rolls back with it as it did on the plain table. Writers number
# under the chain head's row lock, so two inserts of one number cannot race past this check.
SEQUENCE_TAKEN_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_auditevent_sequence_taken() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM "audit_auditevent" WHERE sequence = NEW.sequence) THEN
        RAISE EXCEPTION 'audit event number % is already taken', NEW.sequence
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
SEQUENCE_TAKEN_TRIGGER = ('CREATE TRIGGER "audit_auditevent_sequence_taken" BEFORE INSERT ON "audit_auditevent" '
                          "FOR EACH ROW EXECUTE FUNCTION audit_auditevent_sequence_taken()")

DEFAULT_HOLDS_MONTH = (
    "The default audit partition holds {count} event(s) of {month:%Y-%m}, so the partition for that month "
    "cannot be created: PostgreSQL refuses a partition whose rows already lie in the default one, and "
    "the trail's rows are never deleted to move them. Those events stay where they are and are read and "
    "verified as any other; create months ahead in time (`chartdesk audit partitions --ahead N`) so "
    "the default partition stays empty.")
AHEAD_OUT_OF_RANGE = "--ahead must be between 0 and 120 months; {ahead} is not."


class PartitionProblem(ChartdeskError):
    """A month that cannot be given its partition (see DEFAULT_HOLDS_MONTH)."""


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(first: date) -> date:
    return first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1)


def partition_name(first: date) -> str:
    return f"{TABLE}_y{first.year:04d}m{first.month:02d}"


def _bound(first: date) -> str:
    return datetime(first.year, first.month, 1, tzinfo=UTC).isoformat()


def is_partitioned(connection: BaseDatabaseWrapper) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [TABLE])
        return cursor.fetchone() is not None


def partitions(connection: BaseDatabaseWrapper) -> list[str]:
    """The partitions of the trail, oldest month first, the default partition last."""
    if not is_partitioned(connection):
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = to_regclass(%s)", [TABLE])
        names = sorted(row[0] for row in cursor.fetchall())
    return sorted(names, key=lambda name: name == DEFAULT_PARTITION)


def _refuse_truncate(cursor: Any, partition: str) -> None:
    cursor.execute(
        f'CREATE TRIGGER "{partition}_refuse_truncate" BEFORE TRUNCATE ON "{partition}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION chartdesk_refuse_change()")


def _protect_every_partition(cursor: Any) -> list[str]:
    """Give the TRUNCATE refusal to every partition that lacks it; the names of those it was given to."""
    cursor.execute(
        "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = inhrelid "
        "WHERE inhparent = to_regclass(%s) AND NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = child.oid "
        "AND tgname = child.relname || '_refuse_truncate') ORDER BY child.relname", [TABLE])
    unprotected = [row[0] for row in cursor.fetchall()]
    for partition in unprotected:
        _refuse_truncate(cursor, partition)
    return unprotected


def _create_month(cursor: Any, first: date) -> None:
    name = partition_name(first)
    cursor.execute(f'CREATE TABLE "{name}" PARTITION OF "{TABLE}" FOR VALUES FROM (%s) TO (%s)',
                   [_bound(first), _bound(next_month(first))])
    _refuse_truncate(cursor, name)


@dataclass
class PartitionRun:
    created: list[str] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)  # existing partitions given the TRUNCATE refusal
    partitioned: bool = True

    def summary(self) -> str:
        if not self.partitioned:
            return "the audit trail is not partitioned on this database (SQLite keeps one plain table)"
        made = ", ".join(self.created) if self.created else "none needed"
        fixed = f"; TRUNCATE refused on {', '.join(self.protected)}" if self.protected else ""
        return f"audit partitions created: {made}{fixed}"


def ensure_partitions(ahead: int = DEFAULT_AHEAD, *, today: date | None = None, using: str = "default") -> PartitionRun:
    """Create the partitions of the current month and the `ahead` months after it that do not exist yet.

    Refused (PartitionProblem, nothing created) when the default partition already holds events of a
    month to be created."""
    if not 0 <= ahead <= 120:
        raise PartitionProblem(AHEAD_OUT_OF_RANGE.format(ahead=ahead), field="ahead")
    connection = connections[using]
    if not is_partitioned(connection):
        return PartitionRun(partitioned=False)
    first = month_start(today or datetime.now(UTC).date())
    months = [first]
    for _ in range(ahead):
        months.append(next_month(months[-1]))
    run = PartitionRun()
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # Two runs at once (the job and an operator) would both try to create the same month.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [TABLE + " partitions"])
        existing = set(partitions(connection))
        for month in months:
            if partition_name(month) in existing:
                continue
            cursor.execute(f'SELECT count(*) FROM "{DEFAULT_PARTITION}" WHERE occurred_at >= %s AND occurred_at < %s',  # noqa: S608  (table and column names are constants)
                           [_bound(month), _bound(next_month(month))])
            count = cursor.fetchone()[0]
            if count:
                raise PartitionProblem(DEFAULT_HOLDS_MONTH.format(count=count, month=month))
            _create_month(cursor, month)
            run.created.append(partition_name(month))
        run.protected = _protect_every_partition(cursor)
    return run


# --------------------------------------------------------------------------- converting the table


def index_definitions(cursor: Any, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of every index of `table` that is no constraint's."""
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = to_regclass(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)"
        " ORDER BY 1", [table])
    return list(cursor.fetchall())


def _unique_constraints(cursor: Any, table: str) -> list[tuple[str, str]]:
    """(name, column list) of the primary key and unique constraints of `table`."""
    cursor.execute(
        "SELECT conname, contype, (SELECT string_agg(quote_ident(attname), ', ' ORDER BY position) "
        "FROM unnest(conkey) WITH ORDINALITY AS key(attnum, position) "
        "JOIN pg_attribute ON attrelid = conrelid AND pg_attribute.attnum = key.attnum) "
        "FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype IN ('p', 'u') ORDER BY conname", [table])
    return [(name, columns) for name, _kind, columns in cursor.fetchall()]


def _months_of(cursor: Any, table: str) -> list[date]:
    cursor.execute(f'SELECT min(occurred_at), max(occurred_at) FROM "{table}"')  # noqa: S608  (table and column names are constants)
    oldest, newest = cursor.fetchone()
    now = datetime.now(UTC).date()
    first = month_start(oldest.astimezone(UTC).date() if oldest else now)
    last = month_start(max(newest.astimezone(UTC).date() if newest else now, now))
    months = [first]
    while months[-1] < last:
        months.append(next_month(months[-1]))
    for _ in range(DEFAULT_AHEAD):
        months.append(next_month(months[-1]))
    return months


def _rebuild(schema_editor: Any, *, partitioned: bool) -> None:
    """Rebuild the trail as a partitioned table (or back as a plain one), rows, ids, indexes and
    refusals kept. The old table is renamed, its rows copied in sequence order, counted, and only then
    dropped; the whole runs in the migration's transaction, so a failure leaves the old table as it was."""
    old = f"{TABLE}_before_rebuild"
    with schema_editor.connection.cursor() as cursor:
        # Writers wait for the rebuild instead of writing into the table being emptied.
        cursor.execute(f'LOCK TABLE "{TABLE}" IN ACCESS EXCLUSIVE MODE')
        indexes = index_definitions(cursor, TABLE)
        keys = _unique_constraints(cursor, TABLE)
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
        (id_sequence,) = cursor.fetchone()
        cursor.execute(f'ALTER TABLE "{TABLE}" RENAME TO "{old}"')
        if id_sequence:
            cursor.execute(f"ALTER SEQUENCE {id_sequence} RENAME TO \"{old}_id_seq\"")
        clause = " PARTITION BY RANGE (occurred_at)" if partitioned else ""
        cursor.execute(f'CREATE TABLE "{TABLE}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING IDENTITY){clause}')
        schema_editor.execute(PG_REFUSE_FUNCTION)
        if partitioned:
            for month in _months_of(cursor, old):
                _create_month(cursor, month)
            cursor.execute(f'CREATE TABLE "{DEFAULT_PARTITION}" PARTITION OF "{TABLE}" DEFAULT')
            _refuse_truncate(cursor, DEFAULT_PARTITION)
        cursor.execute(f'INSERT INTO "{TABLE}" SELECT * FROM "{old}" ORDER BY sequence')  # noqa: S608  (table and column names are constants)
        copied = cursor.rowcount
        cursor.execute(f'SELECT count(*) FROM "{old}"')  # noqa: S608  (table and column names are constants)
        if cursor.fetchone()[0] != copied:
            raise RuntimeError(f"{TABLE}: {copied} rows copied, but the old table holds more; nothing changed")
        cursor.execute(f'DROP TABLE "{old}"')
        cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), coalesce(max(id), 0) + 1, false) "  # noqa: S608  (table and column names are constants)
                       f'FROM "{TABLE}"', [TABLE])
        for name, columns in keys:
            # A partitioned table's primary key and unique constraints must include the partition key;
            # a plain table's are the columns alone again.
            bare = [column.strip() for column in columns.split(",") if column.strip() != "occurred_at"]
            wanted = [*bare, "occurred_at"] if partitioned else bare
            kind = "PRIMARY KEY" if name == PRIMARY_KEY else "UNIQUE"
            cursor.execute(f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{name}" {kind} ({", ".join(wanted)})')
        for _name, definition in indexes:
            cursor.execute(definition)
        if partitioned:
            cursor.execute(SEQUENCE_TAKEN_FUNCTION)
            cursor.execute(SEQUENCE_TAKEN_TRIGGER)
    RefuseRowChanges(TABLE, refuse_update=True).database_forwards("audit", schema_editor, None, None)
    if partitioned:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"ANALYZE \"{TABLE}\"")


class PartitionAuditTrail(Operation):
    """Convert the audit trail into the monthly-partitioned table on PostgreSQL (backwards: into a plain
    table again). SQLite has no declarative partitioning; its trail stays one table, and this does nothing."""

    reduces_to_sql = False
    reversible = True

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [], {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql" and not is_partitioned(schema_editor.connection):
            _rebuild(schema_editor, partitioned=True)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if is_partitioned(schema_editor.connection):
            _rebuild(schema_editor, partitioned=False)

    def describe(self) -> str:
        return "Partition the audit trail by month (PostgreSQL)"
