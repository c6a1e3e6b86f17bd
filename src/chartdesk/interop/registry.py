"""One registry of adapters: each FHIR resource type Chartdesk speaks, and the class that maps it.

The REST API, $everything, bulk export and the CapabilityStatement all walk this registry, so a
resource type added here is served, exported and declared in one step.
"""

from __future__ import annotations

from typing import Any

ADAPTERS: dict[str, Any] = {}
_loaded: list[bool] = []


def register(adapter_class: Any) -> Any:
    ADAPTERS[adapter_class.resource_type] = adapter_class()
    return adapter_class


def adapter_for(resource_type: str) -> Any:
    """The adapter of a resource type, or None when Chartdesk does not serve it."""
    _load()
    return ADAPTERS.get(resource_type)


def all_adapters() -> list[Any]:
    _load()
    return [ADAPTERS[name] for name in sorted(ADAPTERS)]


def _load() -> None:
    # Adapter modules register themselves on import; import them once, lazily, so that loading the
    # registry from models or commands does not pull the whole API in at Django start-up.
    if _loaded:
        return
    _loaded.append(True)
    from chartdesk.interop.fhir import (  # noqa: F401
        audit_resources,
        billing_resources,
        chart_resources,
        clinical_resources,
        patient_resource,
        schedule_resources,
    )
