"""What an attacker with write access to the database file (but not the HMAC key) can do to the chain."""

from __future__ import annotations

import hashlib
import hmac
from types import SimpleNamespace
from typing import Any

from django.db import connection

from chartdesk.audit.actions import record_event
from chartdesk.audit.chain import canonical
from chartdesk.audit.models import AuditAction, AuditEvent

TABLE = "audit_auditevent"


def write_events(count: int) -> list[AuditEvent]:
    chart = SimpleNamespace(pk=4242, mrn="M0004242")
    return [
        record_event(AuditAction.VIEW, username=f"reader{n}", patient=chart, object_type="document", object_id=n)
        for n in range(1, count + 1)
    ]


def drop_triggers() -> None:
    """The refusal triggers are the first thing someone with the database file would remove."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for operation in ("update", "delete"):
                cursor.execute(f'DROP TRIGGER IF EXISTS "{TABLE}_refuse_{operation}"')
        else:
            for operation in ("update", "delete", "truncate"):
                cursor.execute(f'DROP TRIGGER IF EXISTS "{TABLE}_refuse_{operation}" ON "{TABLE}"')


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def move(sequence: int, to: int) -> None:
    sql(f"UPDATE {TABLE} SET sequence = %s WHERE sequence = %s", [to, sequence])


def forged_event(sequence: int, previous_hash: str) -> None:
    """A plausible row sealed with a guessed key: right shape, wrong seal."""
    fields = {
        "sequence": sequence,
        "occurred_at": AuditEvent.objects.order_by("sequence").first().occurred_at,
        "user_id": None,
        "username": "nobody",
        "role": "",
        "patient_id": 4242,
        "patient_mrn": "M0004242",
        "object_type": "document",
        "object_id": "1",
        "action": "view",
        "outcome": "success",
        "client_address": "",
        "channel": "desk",
        "break_the_glass_reason": "",
        "detail": {},
    }
    guessed = hmac.new(b"guessed key", canonical(fields) + previous_hash.encode(), hashlib.sha256).hexdigest()
    AuditEvent.objects.create(previous_hash=previous_hash, entry_hash=guessed, **fields)
