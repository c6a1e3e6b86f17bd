"""Reads of the coding workflow: the encounter being coded, a physician query, a provider's queries.

The encounter is opened through charts.access (permission, restriction, audited view); a query is
readable by coding staff and by the provider it was sent to, nobody else. Forbidden and missing
both answer NotFound.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.access import access_encounter_by_id
from chartdesk.charts.actions import provider_of
from chartdesk.charts.models import Encounter, EncounterStatus
from chartdesk.coding.workflow.models import PhysicianQuery, QueryStatus
from chartdesk.core.errors import NotFound
from chartdesk.core.forms import record_id
from chartdesk.patients.access import access_patient_by_id

QUEUE = "coding_workflow.view_coding_queue"
ANSWER = "coding_workflow.answer_coding_queries"


def access_codable_encounter_by_id(user: Any, encounter_id: Any) -> Encounter:
    """A finished encounter, if `user` works the coding queue and may open the chart; the view is audited."""
    key = record_id(encounter_id, "encounter")
    if not user.is_authenticated or not user.has_perm(QUEUE):
        raise NotFound("encounter")
    if not Encounter.objects.filter(pk=key, status=EncounterStatus.FINISHED).exists():
        raise NotFound("encounter")
    return access_encounter_by_id(user, key)


def may_answer(user: Any, query: PhysicianQuery) -> bool:
    return bool(user.is_authenticated and user.has_perm(ANSWER) and provider_of(user) == query.provider)


def access_query_by_id(user: Any, query_id: Any) -> PhysicianQuery:
    """A physician query, for coding staff or for the provider it was sent to; the view is audited."""
    key = record_id(query_id, "query")
    if not user.is_authenticated:
        raise NotFound("query")
    query = (
        PhysicianQuery.objects.select_related("case__encounter__patient", "provider", "asked_by")
        .filter(pk=key)
        .first()
    )
    if query is None or not (user.has_perm(QUEUE) or may_answer(user, query)):
        raise NotFound("query")
    patient = access_patient_by_id(user, query.case.encounter.patient_id, audit=False)
    record_event(AuditAction.VIEW, user=user, patient=patient, object_type="physician_query", object_id=query.pk)
    return query


def open_queries_for(user: Any) -> QuerySet[PhysicianQuery]:
    """The open queries addressed to the provider linked to `user`, oldest first (their work list)."""
    provider = provider_of(user)
    if provider is None or not user.has_perm(ANSWER):
        return PhysicianQuery.objects.none()
    return (
        PhysicianQuery.objects.filter(provider=provider, status=QueryStatus.OPEN)
        .select_related("case__encounter__patient", "asked_by")
        .order_by("asked_at", "pk")
    )
