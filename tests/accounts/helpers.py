"""Small helpers shared by the accounts tests."""

from __future__ import annotations

import time
from typing import Any

from django.db.models import QuerySet
from django_otp.oath import TOTP

from chartdesk.audit.models import AuditEvent


def events(action: str, **filters: Any) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(action=action, **filters).order_by("sequence")


def totp_code(device: Any, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows for this device now (or a step later: a code is good once)."""
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = time.time() + steps_ahead * device.step
    return f"{generator.token():0{device.digits}d}"


def log_in(client: Any, username: str, password: str, **extra: Any) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)
