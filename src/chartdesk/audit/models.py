"""The append-only, hash-chained audit trail.

Each event's `entry_hash` is HMAC-SHA256(key, canonical(event) + previous hash). Anyone who edits,
deletes, inserts or reorders a row without the key breaks the chain at that row; `ChainHead` holds
the sequence number and hash of the last event (itself HMAC-sealed) so that cutting off the tail is
caught too. The ORM refuses update and delete here; migrations add database triggers on top.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models

from chartdesk.core.errors import ImmutableRecord


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    SEARCH = "search", "Searched"
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    SIGN = "sign", "Signed"
    PRINT = "print", "Printed"
    DOWNLOAD = "download", "Downloaded"
    EXPORT = "export", "Exported"
    RETRACT = "retract", "Marked entered in error"
    LOGIN = "login", "Logged in"
    LOGOUT = "logout", "Logged out"
    LOGIN_FAILED = "login_failed", "Failed log-in"
    LOCKED_OUT = "locked_out", "Locked out"
    MFA = "mfa", "Multi-factor authentication"
    ROLE_CHANGE = "role_change", "Changed roles or permissions"
    BREAK_THE_GLASS = "break_the_glass", "Broke the glass"
    ACCESS_DENIED = "access_denied", "Access denied"
    INTEGRITY = "integrity", "Integrity check"
    BACKUP = "backup", "Backup or restore"


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILURE = "failure", "Failure"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableRecord("Audit events are append-only.")

    def delete(self) -> NoReturn:
        raise ImmutableRecord("Audit events are append-only.")


class AuditEvent(models.Model):
    sequence = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, db_constraint=False
    )
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=40, blank=True)
    # The patient is kept by id and MRN, not by foreign key: audit rows outlive merges and must never
    # block or be blocked by changes to the patient tables.
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    patient_mrn = models.CharField(max_length=20, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    outcome = models.CharField(max_length=10, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS)
    client_address = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    break_the_glass_reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["patient_id", "occurred_at"]),
            # The patient report asks for the patient's id OR the MRN the events were written with
            # (events outlive merges); without this the OR made every month a sequential scan.
            models.Index(fields=["patient_mrn", "occurred_at"]),
            models.Index(fields=["user", "occurred_at"]),
            # The history of one record (an encounter's FHIR version, Provenance by target) is read
            # by what it names; without this every such read scans the whole trail.
            models.Index(fields=["object_type", "object_id"]),
        ]
        permissions = [
            ("view_audit_reports", "Read audit reports"),
            ("export_audit", "Export audit reports as CSV"),
            ("verify_chain", "Verify the audit chain"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id} by {self.username}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecord("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImmutableRecord("Audit events are append-only.")


class ChainHead(models.Model):
    """One row: the last sequence number and hash, sealed so the tail cannot be cut off unseen."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    seal = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"audit chain head at #{self.last_sequence}"
