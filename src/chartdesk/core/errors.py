"""Errors that cross app boundaries. Each carries a message fit to show a person."""

from __future__ import annotations


class ChartdeskError(Exception):
    """A refusal that the desk, the API and the CLI all show as a clear message."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ChartdeskError):
    """Missing and forbidden look the same from outside, so nobody can probe for ids."""

    def __init__(self, what: str = "record") -> None:
        super().__init__(f"No such {what}.")


class PermissionRefused(ChartdeskError):
    pass


class RecordNeverDeleted(ChartdeskError):
    def __init__(self, model_name: str) -> None:
        super().__init__(f"{model_name} rows belong to the legal record and are never deleted.")


class ImmutableRecord(ChartdeskError):
    pass


class ConcurrentChange(ChartdeskError):
    """Someone else changed the record since it was read (answers 409/412)."""
