"""The FHIR R4 REST API at /fhir: metadata, token, read, vread, search, history, create, update,
Patient/$everything. Bulk export lives in export_views."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditOutcome
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.forms import whole_number
from chartdesk.core.permissions import public
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
from chartdesk.interop.fhir.versions import stored_version, stored_versions
from chartdesk.interop.models import ResourceVersion
from chartdesk.interop.registry import adapter_for
from chartdesk.interop.tokens import ApiCaller, TokenRefused, do_issue_token
from chartdesk.patients.access import access_patient_by_id
from chartdesk.patients.models import Patient

ETAG = re.compile(r'^(?:W/)?"(\d+)"$')


def _adapter(resource_type: str) -> Any:
    adapter = adapter_for(resource_type)
    if adapter is None:
        raise NotFound(f"resource type {resource_type}")
    return adapter


def _read(caller: ApiCaller, adapter: Any, logical_id: str) -> Any:
    """A row through the adapter's access function, refused outside a patient-scope token's patient.

    The access function records a view as it reads; a row outside the token's patient is then
    refused, so that view is rolled back with the read and the refusal recorded in its place:
    the trail must not say the caller saw a record it was refused. (The access function's own
    refusals keep their record: they leave the block normally and are raised after it.)"""
    caller_requires(caller, resource_type=adapter.resource_type)
    refused: ChartdeskError | None = None
    outside_patient: int | None = None
    with transaction.atomic():
        try:
            row = adapter.read(caller, logical_id)
        except ChartdeskError as refusal:
            refused = refusal
        else:
            if (caller.patient_id is not None and adapter.patient_data
                    and adapter.patient_id_of(row) != caller.patient_id):
                outside_patient = adapter.patient_id_of(row)
                transaction.set_rollback(True)
    if refused is not None:
        raise refused
    if outside_patient is not None:
        record_event(AuditAction.ACCESS_DENIED, user=caller.user, object_type=adapter.resource_type,
                     patient=Patient.objects.filter(pk=outside_patient).first(),
                     object_id=logical_id, outcome=AuditOutcome.DENIED,
                     detail={"why": "outside the token's patient scope", "client_id": caller.token.client.client_id,
                             "scope_patient_id": caller.patient_id})
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
        caller_requires(caller, write=True, resource_type=resource_type)
        if "create" not in adapter.writable:
            return outcome_response(405, f"{resource_type} is not created through the API.", code="not-supported")
        resource = read_json(request)
        validate_resource(resource, expected_type=resource_type)
        return _resource_response(adapter, adapter.create(caller, resource), 201)
    caller_requires(caller, resource_type=resource_type)
    return fhir_response(search_bundle(caller, request, adapter))


def _expected_version(request: HttpRequest) -> int | None:
    match = ETAG.match(request.headers.get("If-Match", "").strip())
    # A version number no resource reaches is stale like any other wrong one (412), not a crash.
    return (whole_number(match.group(1)) or 0) if match else None


@api_view(methods=("GET", "PUT"))
def instance(request: HttpRequest, caller: ApiCaller, resource_type: str, logical_id: str) -> HttpResponse:
    adapter = _adapter(resource_type)
    if request.method == "PUT":
        caller_requires(caller, write=True, resource_type=resource_type)
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


def _version_visible(caller: ApiCaller, adapter: Any, row: Any, kept: ResourceVersion) -> bool:
    """May the caller, who may read the resource now, see this earlier version of it?

    A version filed on another chart (before a merge, or a document since moved off a misfiled
    chart) shows that chart's id and content: the caller must also be able to open that chart (the
    open is audited), and a patient-scoped token only if it is its own patient or was merged into it.
    """
    if kept.patient_id is None or kept.patient_id == adapter.patient_id_of(row):
        return True
    try:
        patient = access_patient_by_id(caller.user, kept.patient_id)
    except NotFound:
        return False
    return caller.patient_id is None or caller.patient_id in (patient.pk, patient.merged_into_id)


def _history_entry(base: str, resource_type: str, logical_id: str, resource: dict[str, Any], version: int,
                   modified: str | None) -> dict[str, Any]:
    response: dict[str, Any] = {"status": "201" if version == 1 else "200", "etag": f'W/"{version}"'}
    if modified:
        response["lastModified"] = modified
    return {"fullUrl": f"{base}/{resource_type}/{logical_id}", "resource": resource,
            "request": {"method": "POST" if version == 1 else "PUT", "url": f"{resource_type}/{logical_id}"},
            "response": response}


@api_view(methods=("GET",))
def history(request: HttpRequest, caller: ApiCaller, resource_type: str, logical_id: str) -> HttpResponse:
    """Every kept version, newest first: the current one as read now, earlier ones as they were stored.

    Versions from before version keeping began are not listed (their content was never stored)."""
    adapter = _adapter(resource_type)
    row = _read(caller, adapter, logical_id)
    current = checked_json(adapter.to_fhir(row))
    current_version = adapter.version_of(row)
    base = base_url(request)
    kept = stored_versions(resource_type, row.pk) if current_version is not None else []
    newest = int(current_version) if current_version is not None else 1
    modified = next((instant(item.last_updated) for item in kept if item.version_id == newest), None)
    entries = [_history_entry(base, resource_type, str(row.pk), current, newest,
                              current.get("meta", {}).get("lastUpdated") or modified)]
    for item in kept:
        if item.version_id < newest and _version_visible(caller, adapter, row, item):
            entries.append(_history_entry(base, resource_type, str(row.pk), checked_json(item.content),
                                          item.version_id, instant(item.last_updated)))
    return fhir_response(checked_json({"resourceType": "Bundle", "type": "history", "total": len(entries),
                                       "entry": entries}))


@api_view(methods=("GET",))
def vread(request: HttpRequest, caller: ApiCaller, resource_type: str, logical_id: str,
          history_version: str) -> HttpResponse:
    """One version: the current one as read now, an earlier one as it was kept when it changed.

    The same access checks and audit as a read come first. A version older than version keeping
    answers 410 saying so, never another version's content."""
    adapter = _adapter(resource_type)
    row = _read(caller, adapter, logical_id)
    current = adapter.version_of(row)
    if current is None or history_version == current:
        return _resource_response(adapter, row)
    name = f"{resource_type}/{row.pk}"
    wanted = whole_number(history_version)
    if wanted is None or not 1 <= wanted < int(current):
        return outcome_response(404, f"{name} has no version {history_version[:40]!r}: its versions are 1 to "
                                     f"{current}.", code="not-found")
    kept = stored_version(resource_type, row.pk, wanted)
    if kept is None:
        return outcome_response(410, f"The content of version {history_version} of {name} was not kept: it "
                                     "predates version keeping (or the same transaction replaced it before it "
                                     f"committed). The current version is {current}; _history lists the versions "
                                     "kept.", code="not-found")
    if not _version_visible(caller, adapter, row, kept):
        raise NotFound(resource_type)
    return fhir_response(checked_json(kept.content), ETag=f'W/"{kept.version_id}"',
                         Last_Modified=http_date(kept.last_updated.timestamp()))


@api_view(methods=("GET",))
def everything(request: HttpRequest, caller: ApiCaller, logical_id: str) -> HttpResponse:
    patient = _read(caller, _adapter("Patient"), logical_id)
    return fhir_response(everything_bundle(caller, request, patient))
