"""Analysis runs when a document or an encounter changes, without charts knowing completion exists.

Every charts action that touches a document saves the Document row (its revision is the ETag), and
discharge saves the Encounter; care-team changes add an EncounterProvider. Receivers here note the
encounter and analyse it once the action's transaction commits, so a rolled-back change analyses
nothing and the chart action never waits on, or fails because of, completion. A failure is logged
and left to the nightly `chartdesk completion analyse`, which catches every encounter up.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from chartdesk.charts.models import Document, Encounter, EncounterProvider

log = logging.getLogger(__name__)
_pending = threading.local()


def _queue() -> set[int]:
    if not hasattr(_pending, "encounters"):
        _pending.encounters = set()
    return _pending.encounters  # type: ignore[no-any-return]


def _flush() -> None:
    from chartdesk.accounts.current import current_user
    from chartdesk.completion.analysis import analyse_encounters

    queued = _queue()
    encounter_ids = sorted(queued)
    queued.clear()
    if not encounter_ids:
        return
    try:
        analyse_encounters(encounter_ids, acting_user=current_user())
    except Exception:  # the chart change is committed; never turn it into an error page
        log.exception("deficiency analysis of encounters %s failed; the nightly run will retry", encounter_ids)


def take_pending() -> list[int]:
    """The encounters queued for analysis, taken off the queue (the commit then analyses nothing): for a
    caller that records them to analyse later itself, in the same transaction as the changes (the HL7
    listener's follow-up outbox)."""
    queued = _queue()
    encounter_ids = sorted(queued)
    queued.clear()
    return encounter_ids


def encounter_changed(encounter_id: int | None) -> None:
    """Analyse this encounter when the current transaction commits (at once outside one)."""
    if encounter_id is None:
        return
    _queue().add(encounter_id)
    # Registered on every change, not only the first: after a rollback the set may still hold an id
    # whose callback was discarded, and that encounter must not wait for someone else's commit.
    transaction.on_commit(_flush)


def _document_saved(sender: Any, instance: Document, **kwargs: Any) -> None:
    encounter_changed(instance.encounter_id)


def _encounter_saved(sender: Any, instance: Encounter, **kwargs: Any) -> None:
    encounter_changed(instance.pk)


def _care_team_saved(sender: Any, instance: EncounterProvider, **kwargs: Any) -> None:
    encounter_changed(instance.encounter_id)


def connect() -> None:
    post_save.connect(_document_saved, sender=Document, dispatch_uid="completion-document-saved")
    post_save.connect(_encounter_saved, sender=Encounter, dispatch_uid="completion-encounter-saved")
    post_save.connect(_care_team_saved, sender=EncounterProvider, dispatch_uid="completion-care-team-saved")
