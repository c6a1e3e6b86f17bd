"""HTTP plumbing of the FHIR API: JSON answers, OperationOutcome errors, bearer-token authentication.

Every API view is wrapped by `api_view`: it authenticates the bearer token (401 with
WWW-Authenticate otherwise), runs the view as the token's user on audit channel "api", and turns
Chartdesk's refusals into OperationOutcome answers with the right status.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditOutcome
from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError, ConcurrentChange, NotFound, PermissionRefused
from chartdesk.core.middleware import client_address
from chartdesk.interop.fhir.common import SearchError
from chartdesk.interop.fhir.validation import FhirInvalid, load_json, operation_outcome
from chartdesk.interop.tokens import ApiCaller, caller_for_token

FHIR_JSON = "application/fhir+json"
BEARER_TOKEN = "bearer-token"  # the permission marker of API views (tests/test_url_map.py)
logger = logging.getLogger("chartdesk.interop")


def fhir_response(resource: dict[str, Any], status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(json.dumps(resource, separators=(",", ":")), status=status,
                            content_type=f"{FHIR_JSON}; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def outcome_response(status: int, message: str, *, code: str, path: str = "") -> HttpResponse:
    return fhir_response(operation_outcome([(path, message)], code=code), status)


def _field_problems(refusal: ChartdeskError) -> list[tuple[str, str]]:
    errors = getattr(refusal, "errors", None)
    if isinstance(errors, dict):
        return [(field, message) for field, message in errors.items()]
    return [(refusal.field or "", refusal.message)]


def refusal_response(refusal: Exception) -> HttpResponse:
    """The OperationOutcome answer for an exception an adapter or action raised."""
    if isinstance(refusal, FhirInvalid):
        return fhir_response(operation_outcome(refusal.problems, code="too-costly" if refusal.status == 413
                                               else "invalid"), refusal.status)
    if isinstance(refusal, SearchError):
        return outcome_response(400, refusal.message, code="not-supported", path=refusal.parameter)
    if isinstance(refusal, NotFound):
        return outcome_response(404, refusal.message, code="not-found")
    if isinstance(refusal, PermissionRefused):
        return outcome_response(403, refusal.message, code="forbidden")
    if isinstance(refusal, ConcurrentChange):
        return outcome_response(412, refusal.message, code="conflict")
    if isinstance(refusal, ChartdeskError):
        return fhir_response(operation_outcome(_field_problems(refusal), code="business-rule"), 400)
    raise refusal


def bearer_token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


ApiView = Callable[..., HttpResponseBase]
NO_TOKEN = "no bearer token"
BAD_TOKEN = "unknown, expired or revoked bearer token"


def record_api_refusal(request: HttpRequest, why: str, *, caller: ApiCaller | None = None,
                       patient: Any = None) -> None:
    """Put a refused API request on the record: who (the token's user, else the client as far as it
    is known), what it asked for and why it was refused. Refusals are what an auditor looks for
    first (a probing client, a token used past its revocation, a scope asked beyond its grant)."""
    detail = {"why": why, "method": request.method, "path": request.path[:300]}
    if caller is not None:
        detail["client_id"] = caller.token.client.client_id
        detail["scopes"] = " ".join(sorted(caller.scopes))
    record_event(AuditAction.ACCESS_DENIED, user=caller.user if caller is not None else None,
                 username="" if caller is not None else "api:(no valid token)", patient=patient,
                 object_type="api_request", outcome=AuditOutcome.DENIED, detail=detail)


def api_view(*, methods: tuple[str, ...]) -> Callable[[ApiView], ApiView]:
    """A FHIR API view: bearer token required, refusals answered as OperationOutcome."""

    def decorate(view: ApiView) -> ApiView:
        @csrf_exempt
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            presented = bearer_token(request)
            caller = caller_for_token(presented)
            with acting_as(client_address=client_address(request), channel="api"):
                if caller is None:
                    record_api_refusal(request, BAD_TOKEN if presented else NO_TOKEN)
                    response = outcome_response(401, "A valid bearer token is required (POST /fhir/auth/token).",
                                                code="login")
                    response["WWW-Authenticate"] = 'Bearer realm="chartdesk-fhir"'
                    return response
                # After the token: a caller without one learns nothing of the API, not even its methods.
                if request.method not in methods:
                    return outcome_response(405, f"{request.method} is not supported here.", code="not-supported")
                try:
                    return view(request, caller, *args, **kwargs)
                except (ChartdeskError, FhirInvalid, SearchError) as refusal:
                    if isinstance(refusal, PermissionRefused):
                        record_api_refusal(request, refusal.message, caller=caller)
                    return refusal_response(refusal)

        guarded.chartdesk_permission = BEARER_TOKEN  # type: ignore[attr-defined]
        return guarded

    return decorate


def read_json(request: HttpRequest) -> Any:
    """The request's JSON body (see validation.load_json); FhirInvalid (400, or 413 over the size
    limit) naming what is wrong with it."""
    try:
        body = request.body
    except RequestDataTooBig:
        raise FhirInvalid([("(body)", f"larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes a resource "
                                      "may have")], status=413) from None
    try:
        return load_json(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as invalid:
        raise FhirInvalid([("(body)", f"not JSON: {invalid}")]) from None


def caller_requires(caller: ApiCaller, *, write: bool = False, resource_type: str | None = None) -> None:
    """Refuse (403) what the token's scopes do not cover: writes, reads, or this resource type."""
    what = f" of {resource_type}" if resource_type else ""
    if write and not caller.may_write(resource_type):
        raise PermissionRefused(f"This token's scopes do not allow changes{what} (user/*.write or "
                                f"user/{resource_type or '<Type>'}.write).")
    if not write and not caller.may_read(resource_type):
        raise PermissionRefused(f"This token's scopes do not allow reads{what}.")
