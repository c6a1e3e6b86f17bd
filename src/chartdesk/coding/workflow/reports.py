"""Coder productivity and accuracy for the HIM manager (read-only).

Coding time of an encounter is from the moment the coder started it to the moment they completed
it, less the time it waited on physician queries. Encounters per hour and codes per hour divide the
encounters completed in the period, and the codes on them when completed, by those hours.

Accuracy comes from second-level review: of the codes a coder submitted on reviewed encounters,
the share the reviewer neither changed nor removed. Codes the reviewer added are shown apart
("missed"), since they were not the coder's to get right or wrong.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from chartdesk.coding.workflow.models import CodingCase, ReviewChange


@dataclass(frozen=True)
class CoderFigures:
    coder: Any
    encounters: int
    codes: int
    hours: float
    encounters_per_hour: float | None
    codes_per_hour: float | None
    reviewed_encounters: int
    reviewed_codes: int
    changed: int
    removed: int
    added: int
    accuracy: float | None


def _coding_seconds(case: CodingCase) -> float:
    if case.started_at is None or case.coded_at is None:
        return 0.0
    return max((case.coded_at - case.started_at).total_seconds() - case.hold_seconds, 0.0)


def coder_figures(since: datetime.datetime, until: datetime.datetime) -> list[CoderFigures]:
    """One line per coder who completed encounters with `since <= coded_at < until`."""
    cases = CodingCase.objects.filter(coded_at__gte=since, coded_at__lt=until, coded_by__isnull=False)
    by_coder: dict[int, list[CodingCase]] = {}
    for case in cases.order_by("coded_at"):
        by_coder.setdefault(case.coded_by_id, []).append(case)  # type: ignore[arg-type]
    coders = get_user_model().objects.in_bulk(list(by_coder))
    lines = []
    for coder_id, coded in by_coder.items():
        seconds = sum(_coding_seconds(case) for case in coded)
        hours = seconds / 3600
        codes = sum(case.codes_submitted for case in coded)
        reviewed = [case for case in coded if case.reviewed_at is not None]
        changes = list(ReviewChange.objects.filter(case__in=reviewed).values_list("kind", flat=True))
        reviewed_codes = sum(case.codes_submitted for case in reviewed)
        changed = changes.count(ReviewChange.Kind.CHANGED)
        removed = changes.count(ReviewChange.Kind.REMOVED)
        lines.append(CoderFigures(
            coder=coders[coder_id],
            encounters=len(coded),
            codes=codes,
            hours=hours,
            encounters_per_hour=len(coded) / hours if hours else None,
            codes_per_hour=codes / hours if hours else None,
            reviewed_encounters=len(reviewed),
            reviewed_codes=reviewed_codes,
            changed=changed,
            removed=removed,
            added=changes.count(ReviewChange.Kind.ADDED),
            accuracy=max(reviewed_codes - changed - removed, 0) / reviewed_codes if reviewed_codes else None,
        ))
    return sorted(lines, key=lambda line: line.coder.username)


SUGGESTED_SYSTEMS = (("icd10cm", "Diagnoses (ICD-10-CM)"), ("icd10pcs", "Procedures (ICD-10-PCS)"))


def _acceptance(rows: list[tuple[str, str, str]]) -> dict[str, Any]:
    from chartdesk.coding.suggest.feedback import decision_for, scores_from_decisions
    from chartdesk.coding.workflow.models import SuggestionDecision

    scores = scores_from_decisions(
        decision_for(decision, suggested_code=suggested, final_code=final) for decision, suggested, final in rows
    )
    decisions = [decision for decision, _, _ in rows]
    return {
        "accepted": decisions.count(SuggestionDecision.Decision.ACCEPTED),
        "edited": decisions.count(SuggestionDecision.Decision.EDITED),
        "rejected": decisions.count(SuggestionDecision.Decision.REJECTED),
        "precision": scores.precision if rows else None,
    }


def suggestion_precision(since: datetime.datetime, until: datetime.datetime) -> dict[str, Any]:
    """Accepted, edited and rejected suggestions in the period, and their precision as the CAC
    engine's own feedback measure counts it (accepted / all decided): all together, then apart for
    diagnosis and procedure suggestions (`by_system`, one entry per suggested code system)."""
    from chartdesk.coding.workflow.models import SuggestionDecision

    in_period = SuggestionDecision.objects.filter(decided_at__gte=since, decided_at__lt=until)
    rows = list(in_period.values_list("system", "decision", "suggested_code", "final_code"))
    figures = _acceptance([(decision, suggested, final) for _, decision, suggested, final in rows])
    figures["by_system"] = [
        {"system": system, "label": label,
         **_acceptance([(decision, suggested, final) for row_system, decision, suggested, final in rows
                        if row_system == system])}
        for system, label in SUGGESTED_SYSTEMS
    ]
    return figures
