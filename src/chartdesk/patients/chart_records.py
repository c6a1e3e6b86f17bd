"""The records a chart holds, as the patient index shows them beside a chart (the duplicate work list's
side-by-side view): the records live in apps above patients, so each registers a reader from its
AppConfig.ready and patients imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RecentRecords = Callable[[Any, int], list[Any]]  # (patient, how many) -> newest records first

_readers: dict[str, RecentRecords] = {}


def register_recent_records(kind: str, reader: RecentRecords) -> None:
    """`kind` names the list on the page ("encounters", "documents")."""
    _readers[kind] = reader


def recent_records(patient: Any, count: int) -> dict[str, list[Any]]:
    return {kind: reader(patient, count) for kind, reader in _readers.items()}
