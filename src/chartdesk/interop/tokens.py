"""API clients and bearer tokens (OAuth2 client credentials with SMART-style scopes).

Only SHA-256 digests of secrets and tokens are stored. A token acts as its client's user: the
user's role decides what it may read, the scope narrows that further (patient/*.read to the one
patient the client was registered for), and every request is audited as that user on channel "api".
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditOutcome
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.interop.models import ApiClient, ApiToken, Scope
from chartdesk.patients.models import Patient

TOKEN_LIFETIME = timedelta(hours=1)
MANAGE_CLIENTS = "interop.manage_api_clients"
UNKNOWN_SCOPE = "Scope: {scope!r} is not one of {choices}."
PATIENT_SCOPE_NEEDS_PATIENT = "Scope patient/*.read needs the patient (MRN) the client may read."
PATIENT_ONLY_WITH_PATIENT_SCOPE = "A patient is named only for a patient/*.read client."
INVALID_CLIENT = "invalid_client"
INVALID_SCOPE = "invalid_scope"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenRefused(Exception):
    """An OAuth2 error (RFC 6749 section 5.2): `error` is the code, `description` says why."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class ApiCaller:
    """Who is calling, through which token, with which scopes."""

    user: Any
    token: ApiToken
    scopes: frozenset[str]
    patient_id: int | None  # set for patient/*.read: nothing else is reachable

    def may_read(self) -> bool:
        return bool(self.scopes & {Scope.PATIENT_READ, Scope.USER_READ, Scope.SYSTEM_READ})

    def may_write(self) -> bool:
        return Scope.USER_WRITE in self.scopes


@transaction.atomic
def do_register_api_client(name: str, *, user: Any, scopes: list[str], acting_user: Any,
                           patient: Patient | None = None) -> tuple[ApiClient, str]:
    """Register a program that calls the API as `user`; returns the client and its secret (shown once)."""
    if acting_user is None or not acting_user.is_authenticated or not acting_user.has_perm(MANAGE_CLIENTS):
        raise PermissionRefused(f"You do not have the permission this needs ({MANAGE_CLIENTS}).")
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise ChartdeskError("Name: required, at most 120 characters.", field="name")
    for scope in scopes:
        if scope not in Scope.values:
            raise ChartdeskError(UNKNOWN_SCOPE.format(scope=scope, choices=", ".join(Scope.values)), field="scope")
    if not scopes:
        raise ChartdeskError("Scope: name at least one.", field="scope")
    if Scope.PATIENT_READ in scopes and patient is None:
        raise ChartdeskError(PATIENT_SCOPE_NEEDS_PATIENT, field="patient")
    if patient is not None and scopes != [Scope.PATIENT_READ]:
        raise ChartdeskError(PATIENT_ONLY_WITH_PATIENT_SCOPE, field="patient")
    if user is None or not user.is_active:
        raise ChartdeskError("User: choose an active user for the client to act as.", field="user")
    secret = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        name=name, client_id="cd-" + secrets.token_hex(8), secret_digest=digest(secret), user=user,
        scopes=" ".join(dict.fromkeys(scopes)), patient=patient, created_by=acting_user,
    )
    record_event(AuditAction.ROLE_CHANGE, user=acting_user, patient=patient, object_type="api_client",
                 object_id=client.pk, detail={"client_id": client.client_id, "acts_as": user.get_username(),
                                              "scopes": client.scopes})
    return client, secret


@transaction.atomic
def do_revoke_api_client(client: ApiClient, *, acting_user: Any) -> ApiClient:
    """Deactivate a client and revoke every token it holds."""
    if acting_user is None or not acting_user.is_authenticated or not acting_user.has_perm(MANAGE_CLIENTS):
        raise PermissionRefused(f"You do not have the permission this needs ({MANAGE_CLIENTS}).")
    client.active = False
    client.save(update_fields=["active"])
    ApiToken.objects.filter(client=client, revoked_at__isnull=True).update(revoked_at=timezone.now())
    record_event(AuditAction.ROLE_CHANGE, user=acting_user, object_type="api_client", object_id=client.pk,
                 detail={"client_id": client.client_id, "revoked": True})
    return client


@transaction.atomic
def do_issue_token(client_id: str, client_secret: str, requested_scope: str = "") -> tuple[str, ApiToken]:
    """Client credentials grant: a new bearer token for the scopes asked (default: all the client's)."""
    client = ApiClient.objects.select_related("user").filter(client_id=client_id, active=True).first()
    # Compare digests in constant time, and refuse unknown clients with the same answer.
    known = client.secret_digest if client is not None else digest(secrets.token_hex(16))
    if client is None or not hmac.compare_digest(known, digest(client_secret or "")) or not client.user.is_active:
        record_event(AuditAction.LOGIN_FAILED, username=f"api:{client_id}"[:150], object_type="api_client",
                     outcome=AuditOutcome.FAILURE, detail={"why": "unknown client or wrong secret"})
        raise TokenRefused(INVALID_CLIENT, "Unknown client or wrong secret.")
    asked = requested_scope.split() or client.scope_list
    if not set(asked) <= set(client.scope_list):
        raise TokenRefused(INVALID_SCOPE, f"This client may ask only for: {client.scopes}.")
    token = secrets.token_urlsafe(32)
    issued = ApiToken.objects.create(client=client, token_digest=digest(token), scopes=" ".join(asked),
                                     expires_at=timezone.now() + TOKEN_LIFETIME)
    record_event(AuditAction.LOGIN, user=client.user, object_type="api_token", object_id=issued.pk,
                 detail={"client_id": client.client_id, "scopes": issued.scopes})
    return token, issued


def caller_for_token(token: str) -> ApiCaller | None:
    """The caller behind a bearer token, or None for an unknown, expired or revoked one."""
    if not token:
        return None
    issued = (ApiToken.objects.select_related("client", "client__user")
              .filter(token_digest=digest(token), revoked_at__isnull=True, expires_at__gt=timezone.now(),
                      client__active=True).first())
    if issued is None or not issued.client.user.is_active:
        return None
    scopes = frozenset(issued.scopes.split())
    patient_id = issued.client.patient_id if Scope.PATIENT_READ in scopes else None
    return ApiCaller(user=issued.client.user, token=issued, scopes=scopes, patient_id=patient_id)
