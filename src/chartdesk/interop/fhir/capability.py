"""The CapabilityStatement, generated from the adapter registry."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from chartdesk.interop.fhir.validation import FHIR_VERSION, checked_json
from chartdesk.interop.fhir.versions import VERSIONED_TYPES
from chartdesk.interop.registry import all_adapters


def capability_statement(base: str) -> dict[str, Any]:
    resources = []
    for adapter in all_adapters():
        interactions = ["read"]
        versioned = adapter.resource_type in VERSIONED_TYPES
        if versioned:
            interactions += ["vread", "history-instance"]
        if adapter.search_params:
            interactions.append("search-type")
        interactions += [kind for kind in ("create", "update") if kind in adapter.writable]
        resource: dict[str, Any] = {
            "type": adapter.resource_type,
            "interaction": [{"code": code} for code in interactions],
            "versioning": "versioned" if versioned else "no-version",
            "searchParam": [{"name": name, "type": kind} for name, kind in sorted(adapter.search_params.items())],
        }
        if adapter.include_patient:
            resource["searchInclude"] = [f"{adapter.resource_type}:patient"]
        if adapter.resource_type in ("Patient", "Encounter", "DocumentReference", "Condition", "Procedure"):
            resource["searchRevInclude"] = ["Provenance:target"]
        if adapter.resource_type == "Patient":
            resource["operation"] = [
                {"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
                {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"},
            ]
        resources.append(resource)
    return checked_json({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "kind": "instance",
        "software": {"name": "Chartdesk"},
        "implementation": {"description": "Chartdesk FHIR API", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "security": {
                "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                         "code": "SMART-on-FHIR"}]}],
                "description": "OAuth2 client credentials at /fhir/auth/token; SMART scopes patient/*.read, "
                               "user/*.read, user/*.write, system/*.read, or a resource type in place of * "
                               "(patient/Claim.read, user/Condition.write).",
            },
            "resource": resources,
            "operation": [{"name": "export",
                           "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"},
                          {"name": "import",
                           "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/import"}],
        }],
    })
