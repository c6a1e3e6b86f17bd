"""Which local row each imported resource became (SourceRecord), read and written in batches.

An import asks "was this resource imported before?" for every resource, and remembers every one it
writes. Asking row by row cost a query per resource and writing row by row an insert per resource;
here the answers for a whole patient are read in one query (`prefetch`), and the records a
transaction makes are inserted together just before it commits (`unit`). What is kept in memory
only ever reflects committed rows: records of a transaction that rolls back are dropped with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction

from chartdesk.core.bulk import insert_rows
from chartdesk.interop.models import SourceRecord

SOURCE_ID_LENGTH = 200
# Well under SQLite's bound-parameter limit, and a reasonable IN list for PostgreSQL.
PREFETCH_CHUNK = 500

Key = tuple[str, str]


@dataclass(frozen=True)
class KnownRecord:
    local_type: str
    local_id: int
    content_sha256: str


def record_key(resource_type: str, source_id: str) -> Key:
    return resource_type, source_id[:SOURCE_ID_LENGTH]


class SourceIndex:
    def __init__(self, source_system: str) -> None:
        self.source_system = source_system
        self._known: dict[Key, KnownRecord | None] = {}  # None: looked up, not imported
        self._pending: dict[Key, KnownRecord] = {}
        self._pending_aliases: set[Key] = set()

    def prefetch(self, keys: Iterable[Key]) -> None:
        """Look up every key not asked about yet, in a few queries."""
        missing = {record_key(*key) for key in keys} - self._known.keys()
        if not missing:
            return
        types = sorted({resource_type for resource_type, _ in missing})
        ids = sorted({source_id for _, source_id in missing})
        for start in range(0, len(ids), PREFETCH_CHUNK):
            rows = SourceRecord.objects.filter(
                source_system=self.source_system, resource_type__in=types,
                source_id__in=ids[start:start + PREFETCH_CHUNK],
            ).values_list("resource_type", "source_id", "local_type", "local_id", "content_sha256")
            for resource_type, source_id, local_type, local_id, digest in rows:
                self._known[(resource_type, source_id)] = KnownRecord(local_type, local_id, digest)
        for key in missing:
            self._known.setdefault(key, None)

    def get(self, resource_type: str, source_id: str) -> KnownRecord | None:
        key = record_key(resource_type, source_id)
        if key in self._pending:
            return self._pending[key]
        if key not in self._known:
            self.prefetch([key])
        return self._known[key]

    def remember(self, resource_type: str, source_id: str, local: KnownRecord, *, alias: bool = False) -> None:
        """Record `local` for this resource when the current unit commits. An alias (a second name for a
        row, such as a practitioner's NPI) may already be known: then it is left as it is."""
        key = record_key(resource_type, source_id)
        if alias:
            if self.get(*key) is not None:
                return
            self._pending_aliases.add(key)
        self._pending[key] = local

    @contextmanager
    def unit(self) -> Iterator[None]:
        """One transaction whose source records are inserted together at its end."""
        self._pending, self._pending_aliases = {}, set()
        try:
            with transaction.atomic():
                yield
                self._flush()
        except BaseException:
            self._pending, self._pending_aliases = {}, set()
            raise
        self._known.update(self._pending)
        self._pending, self._pending_aliases = {}, set()

    def _flush(self) -> None:
        rows = {alias: [SourceRecord(source_system=self.source_system, resource_type=resource_type,
                                     source_id=source_id, local_type=local.local_type, local_id=local.local_id,
                                     content_sha256=local.content_sha256)
                        for (resource_type, source_id), local in self._pending.items()
                        if ((resource_type, source_id) in self._pending_aliases) is alias]
                for alias in (False, True)}
        if rows[False]:
            insert_rows(SourceRecord, rows[False], returning=False)  # nothing reads their keys
        if rows[True]:
            # Two source ids may carry one NPI; another import may have named it meanwhile.
            SourceRecord.objects.bulk_create(rows[True], ignore_conflicts=True)
