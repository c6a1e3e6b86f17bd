"""API clients and bearer tokens (OAuth2 client credentials with SMART-style scopes).

Only SHA-256 digests of secrets and tokens are stored. A token acts as its client's user: the
user's role decides what it may read, the scope narrows that further (patient/*.read to the one
patient the client was registered for), and every request is audited as that user on channel "api".
"""

from __future__ import annotations

import hashlib
import hmac
import re
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
UNKNOWN_SCOPE = ("Scope: {scope!r} is not a scope Chartdesk grants ({choices}, or a resource type in place of *, "
                 "such as patient/Claim.read).")
PATIENT_SCOPE_NEEDS_PATIENT = "Scope patient/...: needs the patient (MRN) the client may read."
PATIENT_ONLY_WITH_PATIENT_SCOPE = "A patient is named only for a client whose scopes are all patient/... scopes."
# SMART v1 scopes: context/type.access. Only user/ scopes write: the API writes as a desk user does.
SCOPE_PATTERN = re.compile(r"^(patient|user|system)/(\*|[A-Z][A-Za-z]{1,63})\.(read|write|\*)$")
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


def scope_parts(scope: str) -> tuple[str, str, str] | None:
    """'patient/Claim.read' -> ('patient', 'Claim', 'read'); None for anything else."""
    match = SCOPE_PATTERN.match(scope)
    return (match.group(1), match.group(2), match.group(3)) if match else None


def scope_problem(scope: str) -> str | None:
    """Why a scope cannot be granted, or None when it can."""
    from chartdesk.interop.registry import adapter_for

    parts = scope_parts(scope)
    if parts is None or (parts[1] != "*" and adapter_for(parts[1]) is None):
        return UNKNOWN_SCOPE.format(scope=scope, choices=", ".join(Scope.values))
    if parts[2] != "read" and parts[0] != "user":
        return f"Scope: {scope!r}: only user/ scopes may write."
    return None


def is_patient_scope(scope: str) -> bool:
    return scope.startswith("patient/")


@dataclass(frozen=True)
class ApiCaller:
    """Who is calling, through which token, with which scopes."""

    user: Any
    token: ApiToken
    scopes: frozenset[str]
    patient_id: int | None  # set for patient/ scopes: nothing else is reachable

    def _grants(self, access: str, resource_type: str | None, contexts: tuple[str, ...]) -> bool:
        for scope in self.scopes:
            parts = scope_parts(scope)
            if parts is None or parts[0] not in contexts or parts[2] not in (access, "*"):
                continue
            if resource_type is None or parts[1] in ("*", resource_type):
                return True
        return False

    def may_read(self, resource_type: str | None = None) -> bool:
        """May this token read `resource_type` (any type at all, when None)?"""
        return self._grants("read", resource_type, ("patient", "user", "system"))

    def may_write(self, resource_type: str | None = None) -> bool:
        return self._grants("write", resource_type, ("user",))

    def may_export_system(self) -> bool:
        """System-level bulk export needs a system/ read scope."""
        return self._grants("read", None, ("system",))


def caller_of(token: ApiToken) -> ApiCaller:
    """The caller a stored token stands for (its client's user, scopes and patient)."""
    scopes = frozenset(token.scopes.split())
    patient_id = token.client.patient_id if any(is_patient_scope(scope) for scope in scopes) else None
    return ApiCaller(user=token.client.user, token=token, scopes=scopes, patient_id=patient_id)


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
        problem = scope_problem(scope)
        if problem:
            raise ChartdeskError(problem, field="scope")
    if not scopes:
        raise ChartdeskError("Scope: name at least one.", field="scope")
    if any(is_patient_scope(scope) for scope in scopes) and patient is None:
        raise ChartdeskError(PATIENT_SCOPE_NEEDS_PATIENT, field="patient")
    if patient is not None and not all(is_patient_scope(scope) for scope in scopes):
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


def do_issue_token(client_id: str, client_secret: str, requested_scope: str = "") -> tuple[str, ApiToken]:
    """Client credentials grant: a new bearer token for the scopes asked (default: all the client's).

    A refusal is recorded after the refused attempt's transaction has rolled back (recorded inside it,
    the record would be rolled back with it)."""
    try:
        return _issue_token(client_id, client_secret, requested_scope)
    except TokenRefused as refused:
        # Whose client it is goes on the record only once its secret was right (invalid_scope).
        client = (ApiClient.objects.select_related("user").filter(client_id=client_id).first()
                  if refused.error != INVALID_CLIENT else None)
        record_event(AuditAction.LOGIN_FAILED, user=client.user if client is not None else None,
                     username=f"api:{client_id}"[:150], object_type="api_client",
                     object_id=client.pk if client is not None else "", outcome=AuditOutcome.FAILURE,
                     detail={"why": refused.description, "error": refused.error, "client_id": client_id[:100],
                             "scope_asked": requested_scope[:200]})
        raise


@transaction.atomic
def _issue_token(client_id: str, client_secret: str, requested_scope: str) -> tuple[str, ApiToken]:
    client = ApiClient.objects.select_related("user").filter(client_id=client_id, active=True).first()
    # Compare digests in constant time, and refuse unknown clients with the same answer.
    known = client.secret_digest if client is not None else digest(secrets.token_hex(16))
    if client is None or not hmac.compare_digest(known, digest(client_secret or "")) or not client.user.is_active:
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
    return caller_of(issued)
