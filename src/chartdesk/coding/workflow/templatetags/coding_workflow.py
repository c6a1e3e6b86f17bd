"""The coding card on a role's home page: a provider's open queries, a coder's assigned work."""

from __future__ import annotations

from typing import Any

from django import template

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.coding.workflow.access import open_queries_for
from chartdesk.coding.workflow.queue import waiting_encounters

register = template.Library()


@register.inclusion_tag("coding_workflow/_home_card.html", takes_context=True)
def coding_home_card(context: Any) -> dict[str, Any]:
    user = context["request"].user
    card: dict[str, Any] = {"show_queries": False, "show_queue": False}
    if user.has_perm("coding_workflow.answer_coding_queries"):
        queries = list(open_queries_for(user))
        card.update(show_queries=True, queries=queries)
        if queries:
            # A list of names is patient data: one event per list, as the home page's own lists do.
            record_event(AuditAction.VIEW, user=user, object_type="work_list", object_id="coding-queries",
                         detail={"patient_ids": sorted({query.case.encounter.patient_id for query in queries})})
    if user.has_perm("coding_workflow.code_encounters"):
        card.update(show_queue=True, assigned=waiting_encounters().filter(coding_case__assigned_to=user).count())
    return card
