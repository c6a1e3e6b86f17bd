"""Demo data for the coding workflow: work the demo's own log-ins can try at once.

The demo's `provider` log-in joins the care team of the latest finished stays (as consultant), so a
coder's query on them has a provider who can log in and answer it (the latest, because code sets are
loaded by edition and a stay is coded with the edition in effect on its discharge); the latest is
assigned to the demo `coder`. Everything goes through the real actions, audited as any other load.
"""

from __future__ import annotations

from typing import Any

from chartdesk.charts.actions import do_add_care_team_member
from chartdesk.charts.models import CareRole, Encounter, EncounterStatus
from chartdesk.coding.workflow.actions import do_assign_case

STAYS_FOR_THE_DEMO_PROVIDER = 3


def load_coding_demo(staff: dict[str, Any]) -> None:
    """Called once by core.demo.load after the patients are loaded; `staff` maps role slugs to users."""
    provider = getattr(staff["provider"], "provider", None)
    finished = (
        Encounter.objects.filter(status=EncounterStatus.FINISHED, patient__restriction="")
        .exclude(care_team__provider=provider)
        .order_by("-discharge_at", "-pk")
    )
    stays = list(finished[:STAYS_FOR_THE_DEMO_PROVIDER])
    if provider is not None:
        for stay in stays:
            do_add_care_team_member(stay, provider, CareRole.CONSULTING, acting_user=staff["registrar"])
    if stays:
        do_assign_case(stays[0], staff["coder"], acting_user=staff["him_manager"])
