"""The FHIR R4 REST API at /fhir: metadata, token, read, vread, search, history, create, update,
Patient/$everything. Bulk export lives in export_views."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from chartdesk.core.errors import NotFound
from chartdesk.core.permissions import public
from chartdesk.interop.fhir.audit_resources import change_events
from chartdesk.interop.fhir.bundles import base_url, everything_bundle, search_bundle
from chartdesk.interop.fhir.capability import capability_statement
from chartdesk.interop.fhir.common import instant
from chartdesk.interop.fhir.http import (
    api_view,
    caller_requires,
    fhir_response,
    outcome_response,
    read_json,
)
from chartdesk.interop.fhir.validation import FhirInvalid, checked_json, validate_resource
from chartdesk.interop.registry import adapter_for
from chartdesk.interop.tokens import ApiCaller, TokenRefused, do_issue_token

ETAG = re.compile(r'^(?:W/)?"(\d+)"$')


def _adapter(resource_type: str) -> Any:
    adapter = adapter_for(resource_type)
    if adapter is None:
        raise NotFound(f"resource type {resource_type}")
    return adapter


def _read(caller: ApiCaller, adapter: Any, logical_id: str) -> Any:
    """A row through the adapter's access function, refused outside a patient-scope token's patient."""
    caller_requires(caller)
    row = adapter.read(caller, logical_id)
    if caller.patient_id is not None and adapter.patient_data and adapter.patient_id_of(row) != caller.patient_id:
        raise NotFound(adapter.resource_type)
    return row


def _resource_response(adapter: Any, row: Any, status: int = 200) -> HttpResponse:
    resource = checked_json(adapter.to_fhir(row))
    headers: dict[str, str] = {}
    version = resource.get("meta", {}).get("versionId")
    if version:
        headers["ETag"] = f'W/"{version}"'
        if status == 201:
            headers["Location"] = f"{resource['resourceType']}/{resource['id']}/_history/{version}"
    return fhir_response(resource, status, **headers)


@public
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: public, as FHIR requires, and free of patient data."""
    return fhir_response(capability_statement(base_url(request)))


@csrf_exempt
@public
def token(request: HttpRequest) -> HttpResponse:
    """OAuth2 client credentials grant (form-encoded POST, RFC 6749 section 4.4)."""
    if request.method != "POST":
        return fhir_response({"error": "invalid_request", "error_description": "POST only."}, 405)
    if request.POST.get("grant_type") != "client_credentials":
        return fhir_response({"error": "unsupported_grant_type",
                              "error_description": "Only client_credentials is supported."}, 400)
    try:
        issued, row = do_issue_token(request.POST.get("client_id", ""), request.POST.get("client_secret", ""),
                                     request.POST.get("scope", ""))
    except TokenRefused as refused:
        status = 401 if refused.error == "invalid_client" else 400
        return fhir_response({"error": refused.error, "error_description": refused.description}, status)
    response = fhir_response({"access_token": issued, "token_type": "Bearer", "scope": row.scopes,
                              "expires_in": int((row.expires_at - row.issued_at).total_seconds())})
    response["Content-Type"] = "application/json"
    return response


@api_view(methods=("GET", "POST"))
def type_level(request: HttpRequest, caller: ApiCaller, resource_type: str) -> HttpResponse:
    adapter = _adapter(resource_type)
    if request.method == "POST":
        caller_requires(caller, write=True)
        if "create" not in adapter.writable:
            return outcome_response(405, f"{resource_type} is not created through the API.", code="not-supported")
        resource = read_json(request)
        validate_resource(resource, expected_type=resource_type)
        return _resource_response(adapter, adapter.create(caller, resource), 201)
    caller_requires(caller)
    return fhir_response(search_bundle(caller, request, adapter))


def _expected_version(request: HttpRequest) -> int | None:
    match = ETAG.match(request.headers.get("If-Match", "").strip())
    return int(match.group(1)) if match else None


@api_view(methods=("GET", "PUT"))
def instance(request: HttpRequest, caller: ApiCaller, resource_type: str, logical_id: str) -> HttpResponse:
    adapter = _adapter(resource_type)
    if request.method == "PUT":
        caller_requires(caller, write=True)
        if "update" not in adapter.writable:
            return outcome_response(405, f"{resource_type} is not updated through the API.", code="not-supported")
        resource = read_json(request)
        validate_resource(resource, expected_type=resource_type)
        if resource.get("id") != logical_id:
            raise FhirInvalid([(f"{resource_type}.id", f"must be {logical_id!r}, the id in the URL")])
        expected = _expected_version(request)
        if expected is None:
            return outcome_response(428, 'Updates need If-Match: W/"<versionId>" of the version you read.',
                                    code="required")
        row = _read(caller, adapter, logical_id)
        return _resource_response(adapter, adapter.update(caller, row, resource, expected))
    return _resource_response(adapter, _read(caller, adapter, logical_id))


def _history_entries(request: HttpRequest, adapter: Any, row: Any, resource: dict[str, Any]) -> list[dict[str, Any]]:
    events = change_events(adapter.object_types, row.pk, adapter.patient_id_of(row)) if adapter.object_types else []
    base = base_url(request)
    entries = [{"fullUrl": f"{base}/{adapter.resource_type}/{row.pk}", "resource": resource,
                "request": {"method": "PUT", "url": f"{adapter.resource_type}/{row.pk}"},
                "response": {"status": "200", "etag": f'W/"{resource.get("meta", {}).get("versionId", "1")}"'}}]
    for event in reversed(events):
        entries.append({
            "fullUrl": f"{base}/{adapter.resource_type}/{row.pk}",
            "request": {"method": "POST" if event.action == "create" else "PUT",
                        "url": f"{adapter.resource_type}/{row.pk}"},
            "response": {"status": "201" if event.action == "create" else "200",
                         "lastModified": instant(event.occurred_at),
                         "outcome": {"resourceType": "OperationOutcome", "issue": [{
                             "severity": "information", "code": "informational",
                             "diagnostics": f"{event.get_action_display()} by {event.username or 'system'} "
                                            f"({event.object_type}; audit #{event.sequence}; "
                                            f"fields: {', '.join(event.detail.get('fields', [])) or 'all'})"}]}},
        })
    return entries


@api_view(methods=("GET",))
def history(request: HttpRequest, caller: ApiCaller, resource_type: str, logical_id: str) -> HttpResponse:
    """The current version in full, then every change from the audit trail, newest first."""
    adapter = _adapter(resource_type)
    row = _read(caller, adapter, logical_id)
    resource = checked_json(adapter.to_fhir(row))
    entries = _history_entries(request, adapter, row, resource)
    return fhir_response(checked_json({"resourceType": "Bundle", "type": "history", "total": len(entries),
                                       "entry": entries}))


@api_view(methods=("GET",))
def vread(request: HttpRequest, caller: ApiCaller, resource_type: str, logical_id: str,
          history_version: str) -> HttpResponse:
    """The current version by its versionId; earlier versions are listed by history, content not kept."""
    adapter = _adapter(resource_type)
    row = _read(caller, adapter, logical_id)
    current = adapter.version_of(row)
    if current is not None and history_version != current:
        return outcome_response(404, f"Version {history_version} of {resource_type}/{logical_id} is not the "
                                     f"current one ({current}); earlier content is not kept (see _history for who "
                                     "changed what and when).", code="not-found")
    return _resource_response(adapter, row)


@api_view(methods=("GET",))
def everything(request: HttpRequest, caller: ApiCaller, logical_id: str) -> HttpResponse:
    patient = _read(caller, _adapter("Patient"), logical_id)
    return fhir_response(everything_bundle(caller, request, patient))
