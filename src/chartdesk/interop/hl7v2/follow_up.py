"""The follow-up outbox of the HL7 listener: work that follows from a group of messages but need not
hold up their ACKs.

Applying a group changes visits and charts; chart-completion analysis (`completion.hooks`) and FHIR
version keeping (`interop.fhir.versions`) queue what they must look at, to do it when the transaction
commits. Done inside the group, they were most of a lone sender's statements; done after the commit,
they would cost a durable commit each. Instead the group takes their queues and writes them into one
`Hl7FollowUp` row in its own transaction, so the duty commits with the messages and survives a crash,
and the listener settles the waiting rows together once the group's ACKs are out (`FOLLOW_UP_AFTER_S`
after the first of them, or at once when it starts). A failure is logged as it was after a commit:
the nightly `chartdesk completion analyse` catches analysis up, and the next change of a resource
keeps its version.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.interop.models import Hl7FollowUp

logger = logging.getLogger("chartdesk.interop.hl7")
# How long after a group commits its follow-up may wait for those of the groups after it.
FOLLOW_UP_AFTER_S = 0.5
# The most rows settled in one transaction, so that a backlog (a listener down for a day) settles in
# bounded steps.
FOLLOW_UPS_AT_ONCE = 500


def queue_follow_up() -> Hl7FollowUp | None:
    """Inside the group's transaction: take what the group queued for analysis and version keeping and
    record it as one follow-up row; None when it queued nothing."""
    from chartdesk.completion.hooks import take_pending as take_analysis
    from chartdesk.interop.fhir.versions import take_pending as take_versions

    encounter_ids, resource_keys = take_analysis(), take_versions()
    if not encounter_ids and not resource_keys:
        return None
    return Hl7FollowUp.objects.create(encounter_ids=encounter_ids,
                                      resource_keys=[[kind, key] for kind, key in resource_keys])


def settle_follow_ups(*, acting_user: Any, limit: int = FOLLOW_UPS_AT_ONCE) -> int:
    """Analyse and version what the waiting follow-ups name, oldest first, in one transaction, and mark
    them done; returns how many were settled. Each part runs in its own savepoint: a failure is logged
    and does not keep the rows waiting (nor the next listener start failing on them)."""
    from chartdesk.completion.analysis import analyse_encounters
    from chartdesk.interop.fhir.versions import keep_versions

    with transaction.atomic():
        # Row lock: two listeners on one PostgreSQL database must not settle the same rows twice.
        waiting = list(Hl7FollowUp.objects.select_for_update().filter(done_at__isnull=True).order_by("pk")[:limit])
        if not waiting:
            return 0
        encounter_ids = sorted({int(key) for follow_up in waiting for key in follow_up.encounter_ids})
        resource_keys = sorted({(str(kind), int(key)) for follow_up in waiting
                                for kind, key in follow_up.resource_keys})
        try:
            with transaction.atomic():
                analyse_encounters(encounter_ids, acting_user=acting_user)
        except Exception:
            logger.exception("deficiency analysis of encounters %s failed; the nightly run will retry",
                             encounter_ids[:20])
        try:
            with transaction.atomic():
                keep_versions(resource_keys)
        except Exception:
            logger.exception("keeping FHIR versions of %s failed; the next change of each keeps it again",
                             resource_keys[:20])
        Hl7FollowUp.objects.filter(pk__in=[follow_up.pk for follow_up in waiting]).update(done_at=timezone.now())
    return len(waiting)
