"""Search, history and $everything bundles: paging with _count and next links, _include and
_revinclude, one SEARCH audit event per page served."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import NotFound
from chartdesk.interop.fhir.common import Adapter, SearchError, reference_id
from chartdesk.interop.fhir.validation import checked_json
from chartdesk.interop.registry import adapter_for
from chartdesk.interop.tokens import ApiCaller
from chartdesk.patients.access import access_patient_by_id
from chartdesk.patients.models import Patient

DEFAULT_COUNT = 20
MAX_COUNT = 100
CONTROL_PARAMS = {"_count", "_offset", "_include", "_revinclude", "_format", "_summary"}


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/").rstrip("/")


def _int_param(request: HttpRequest, name: str, default: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdecimal()):
        raise SearchError(name, f"{name}: a whole number, not {raw[:40]!r}.")
    # A number longer than `high` only means "as many as there are": clamp it without converting it
    # (int() refuses more than 4,300 digits).
    return high if len(raw.lstrip("0")) > len(str(high)) else min(int(raw), high)


def search_params(request: HttpRequest, adapter: Adapter) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for name in request.GET:
        if name in CONTROL_PARAMS:
            continue
        base = name.split(":")[0]
        if base not in adapter.search_params:
            supported = ", ".join(sorted(adapter.search_params)) or "none"
            raise SearchError(name, f"{adapter.resource_type} has no search parameter {name!r} "
                                    f"(supported: {supported}).")
        params[base] = [value for value in request.GET.getlist(name)]
    return params


def searched_patient(caller: ApiCaller, adapter: Adapter, params: dict[str, list[str]]) -> Patient | None:
    """The chart a patient-compartment search is about, opened (and audited) through patients.access."""
    if not adapter.needs_patient:
        if caller.patient_id is not None and adapter.resource_type == "Patient":
            return access_patient_by_id(caller.user, caller.patient_id, audit=False)
        if caller.patient_id is not None and adapter.patient_data:
            raise NotFound(adapter.resource_type)
        return None
    named = params.pop("patient", [])
    if len(named) > 1:
        raise SearchError("patient", "patient: name one patient.")
    if named:
        patient_id = reference_id(named[0], "Patient", "patient")
        if caller.patient_id is not None and patient_id != caller.patient_id:
            raise NotFound("patient")
    elif caller.patient_id is not None:
        patient_id = caller.patient_id
    elif set(params) & set(adapter.searchable_without_patient):
        return None  # e.g. a claim by its control number: the adapter opens each chart it finds
    else:
        raise SearchError("patient", f"{adapter.resource_type} searches name the patient (US Core): "
                                     "add patient=Patient/<id>.")
    return access_patient_by_id(caller.user, patient_id)


def entry(base: str, resource: dict[str, Any], mode: str) -> dict[str, Any]:
    return {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", "resource": checked_json(resource),
            "search": {"mode": mode}}


def _included(caller: ApiCaller, request: HttpRequest, adapter: Adapter, rows: list[Any],
              patient: Patient | None) -> list[dict[str, Any]]:
    base = base_url(request)
    extra: list[dict[str, Any]] = []
    for include in request.GET.getlist("_include"):
        if include not in (f"{adapter.resource_type}:patient", f"{adapter.resource_type}:subject") or \
                not adapter.include_patient:
            raise SearchError("_include", f"_include={include} is not supported here "
                                          f"(try {adapter.resource_type}:patient).")
        if patient is not None and caller.may_read("Patient"):
            patient_adapter = adapter_for("Patient")
            extra.append(entry(base, patient_adapter.to_fhir(patient), "include"))
    for revinclude in request.GET.getlist("_revinclude"):
        if revinclude != "Provenance:target":
            raise SearchError("_revinclude", f"_revinclude={revinclude} is not supported (Provenance:target is).")
        if not caller.may_read("Provenance"):
            continue
        provenance = adapter_for("Provenance")
        extra += [entry(base, provenance.to_fhir(event), "include")
                  for event in provenance.targets(adapter.resource_type, rows)]
    return extra


def _summary(request: HttpRequest) -> str | None:
    values = request.GET.getlist("_summary")
    if values and values != ["count"]:
        raise SearchError("_summary", "_summary: only _summary=count is supported (the total, without resources).")
    return values[0] if values else None


def search_bundle(caller: ApiCaller, request: HttpRequest, adapter: Adapter) -> dict[str, Any]:
    """One page of a search. `total`, the page and the next link all count only what the caller may see:
    adapters filter what a caller may not open inside the query, never after paging."""
    params = search_params(request, adapter)
    summary = _summary(request)
    count = _int_param(request, "_count", DEFAULT_COUNT, MAX_COUNT)
    offset = _int_param(request, "_offset", 0, 10**9)
    patient = searched_patient(caller, adapter, params)
    found = adapter.search(caller, params, patient)
    total = found.count()
    base = base_url(request)
    query = [(name, value) for name in request.GET for value in request.GET.getlist(name) if name != "_offset"]
    links = [{"relation": "self", "url": f"{base}/{adapter.resource_type}?{urlencode(query + [('_offset', offset)])}"}]
    if summary == "count":
        record_event(AuditAction.SEARCH, user=caller.user, patient=patient,
                     object_type=f"fhir_{adapter.resource_type}",
                     detail={"query": request.GET.urlencode()[:500], "results": 0, "total": total})
        return checked_json({"resourceType": "Bundle", "type": "searchset", "total": total, "link": links})
    prefetch = getattr(adapter, "prefetch", None)
    rows = list((prefetch(found) if prefetch is not None else found)[offset:offset + count])
    record_event(AuditAction.SEARCH, user=caller.user, patient=patient, object_type=f"fhir_{adapter.resource_type}",
                 detail={"query": request.GET.urlencode()[:500], "results": len(rows)})
    entries = [entry(base, adapter.to_fhir(row), "match") for row in rows]
    entries += _included(caller, request, adapter, rows, patient)
    if offset + count < total:
        links.append({"relation": "next",
                      "url": f"{base}/{adapter.resource_type}?{urlencode(query + [('_offset', offset + count)])}"})
    return checked_json({"resourceType": "Bundle", "type": "searchset", "total": total, "link": links,
                         "entry": entries})


def everything_bundle(caller: ApiCaller, request: HttpRequest, patient: Patient) -> dict[str, Any]:
    """Patient/$everything: the patient and every record of the chart the caller may read."""
    from chartdesk.interop.registry import all_adapters

    base = base_url(request)
    entries = []
    for adapter in all_adapters():
        if not caller.may_read(adapter.resource_type):
            continue  # a token scoped to some resource types gets those only
        try:
            rows = adapter.rows_for_patient(caller, patient) if adapter.patient_data else None
            if rows is None:
                continue
            entries += [entry(base, adapter.to_fhir(row), "match") for row in rows]
        except NotFound:
            continue  # the caller's role does not read this kind of record (billing and notes): leave it out
    record_event(AuditAction.EXPORT, user=caller.user, patient=patient, object_type="fhir_everything",
                 object_id=patient.pk, detail={"resources": len(entries)})
    return checked_json({"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries})
