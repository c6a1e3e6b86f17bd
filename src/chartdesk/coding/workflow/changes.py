"""What changed on a coding case since a screen showed it: read back from the case's own audit
events, each of which carries the case revision it made (`actions._audit`). The 409 page of a stale
screen lists them, so the coder sees what the other tab or colleague did before reloading."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from chartdesk.audit.models import AuditEvent
from chartdesk.coding.workflow.models import CodingCase

MAX_LISTED = 50
CHANGES = {
    "assign": "assigned the case", "start": "started coding", "remove_diagnosis": "removed diagnosis",
    "sequence": "moved diagnosis", "remove_procedure": "removed procedure",
    "inpatient_abstract": "changed the inpatient abstract", "use_nearest_release": "chose the nearest release",
    "answer": "answered the query", "complete": "completed coding", "start_review": "started the review",
    "finish_review": "finished the review",
}
CREATED = {"coded_diagnosis": "added diagnosis", "coded_procedure": "added procedure",
           "physician_query": "sent a query", "suggestion_decision": "decided on a suggestion"}


@dataclass(frozen=True)
class CaseChange:
    revision: int
    at: datetime.datetime
    by: str
    what: str


def changes_since(case: CodingCase, revision: int) -> list[CaseChange]:
    """The changes that took `case` past `revision`, oldest first."""
    events = (AuditEvent.objects.filter(detail__encounter_id=case.encounter_id, detail__case_revision__gt=revision)
              .order_by("sequence")[:MAX_LISTED])
    return [CaseChange(int(event.detail["case_revision"]), event.occurred_at, event.username or "system",
                       describe(event)) for event in events]


def describe(event: AuditEvent) -> str:
    detail = event.detail
    change = detail.get("change")
    if change in CHANGES:
        words = CHANGES[change]
    elif event.object_type == "coded_diagnosis" and "after" in detail:
        before, after = detail.get("before", {}), detail["after"]
        return f"changed diagnosis {before.get('code', '')} (POA {before.get('poa') or '-'}) to " \
               f"{after.get('code', '')} (POA {after.get('poa') or '-'})"
    else:
        words = CREATED.get(event.object_type, f"{event.action} {event.object_type.replace('_', ' ')}")
    specifics = [str(detail[key]) for key in ("code", "decision", "coder") if detail.get(key)]
    if change == "sequence":
        specifics.append(f"from line {detail.get('from_position')} to line {detail.get('to_position')}")
    return " ".join([words, *specifics])
