"""Base classes for records that belong to the legal health record."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models

from chartdesk.core.errors import RecordNeverDeleted


class NeverDeletedQuerySet(models.QuerySet):
    def delete(self) -> NoReturn:
        raise RecordNeverDeleted(self.model.__name__)

    delete.queryset_only = True  # type: ignore[attr-defined]


class LegalRecordModel(models.Model):
    """A row that is never deleted: by the ORM here, and by a database trigger (see migration_ops)."""

    objects = NeverDeletedQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RecordNeverDeleted(type(self).__name__)
