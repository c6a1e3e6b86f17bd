"""Demo data for the coding workflow: work the demo's own log-ins can try at once, and finished visits
coded through the coding screen's own actions for billing to charge.

The demo's `provider` log-in joins the care team of the latest finished stays (as consultant), so a
coder's query on them has a provider who can log in and answer it (the latest, because code sets are
loaded by edition and a stay is coded with the edition in effect on its discharge); the latest is
assigned to the demo `coder`. These stays are left for the coding queue. `code_visit` codes one
visit the way a coder does on the desk: start, diagnoses in sequence, CPT/HCPCS lines, complete.
Everything goes through the real actions, audited as any other load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models.functions import Coalesce
from django.utils import timezone

from chartdesk.charts.actions import do_add_care_team_member
from chartdesk.charts.models import CareRole, Encounter, EncounterStatus, Provider
from chartdesk.coding.models import CodeSetRelease, CodeSystem
from chartdesk.coding.workflow.actions import (
    do_add_diagnosis,
    do_add_procedure,
    do_assign_case,
    do_complete_coding,
    do_start_coding,
)
from chartdesk.coding.workflow.models import CodingCase
from chartdesk.core.demo.story import step

STAYS_FOR_THE_DEMO_PROVIDER = 3


@dataclass(frozen=True)
class DemoProcedure:
    system: str  # "cpt" or "hcpcs"
    code: str
    modifiers: tuple[str, ...] = ()
    units: int = 1


def load_coding_demo(staff: dict[str, Any]) -> list[Encounter]:
    """Called once by core.demo.load after the patients are loaded; `staff` maps role slugs to users.
    Returns the stays kept for the coding queue, which the other areas' demos leave uncoded."""
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
    return stays


def code_visit(
    encounter: Encounter,
    *,
    diagnoses: tuple[str, ...],
    procedures: tuple[DemoProcedure, ...],
    performed_on: date,
    provider: Provider,
    coder: Any,
    at: datetime | None = None,
    minutes: float = 0,
) -> CodingCase:
    """Code a finished visit as the coder would on the desk and complete it (ready for billing).
    Every code is checked against the releases in effect, so the ICD-10-CM release must be loaded.
    With `at`, the demo's story: opened at `at`, codes entered as it goes, completed `minutes` later."""
    if at is None:
        return _code(encounter, diagnoses, procedures, performed_on, provider, coder)
    with step(at):
        case = do_start_coding(encounter, acting_user=coder)
    with step(at + timedelta(minutes=minutes / 2)):
        _enter_codes(case, diagnoses, procedures, performed_on, provider, coder)
    with step(at + timedelta(minutes=minutes)):
        return do_complete_coding(case, acting_user=coder)


def _code(encounter: Encounter, diagnoses: tuple[str, ...], procedures: tuple[DemoProcedure, ...],
          performed_on: date, provider: Provider, coder: Any) -> CodingCase:
    case = do_start_coding(encounter, acting_user=coder)
    _enter_codes(case, diagnoses, procedures, performed_on, provider, coder)
    return do_complete_coding(case, acting_user=coder)


def _enter_codes(case: CodingCase, diagnoses: tuple[str, ...], procedures: tuple[DemoProcedure, ...],
                 performed_on: date, provider: Provider, coder: Any) -> None:
    for code in diagnoses:
        do_add_diagnosis(case, code, acting_user=coder)
    for line in procedures:
        do_add_procedure(case, system=line.system, code=line.code, performed_on=performed_on, provider=provider,
                         modifiers=list(line.modifiers), units=line.units, acting_user=coder)


def visits_before_the_code_sets() -> tuple[int, CodeSetRelease | None]:
    """How many finished visits end before the earliest ICD-10-CM release loaded, and that release:
    the coding screen offers them the nearest release, marked as such."""
    earliest = CodeSetRelease.objects.filter(system=CodeSystem.ICD10CM).order_by("effective_from").first()
    finished = Encounter.objects.filter(status=EncounterStatus.FINISHED)
    if earliest is None:
        return finished.count(), None
    # The release that applies is the one of the service day: discharge, or the visit itself.
    starts = timezone.make_aware(datetime.combine(earliest.effective_from, time(0)))
    served = finished.annotate(served_at=Coalesce("discharge_at", "admit_at"))
    return served.filter(served_at__lt=starts).count(), earliest


def coding_demo_stage(run: Any) -> None:
    """The coding queue's stage of `chartdesk demo-data`: what it leaves queued, billing leaves alone."""
    run.coding_queue = load_coding_demo(run.staff)
    uncovered, earliest = visits_before_the_code_sets()
    if uncovered and earliest is not None:
        run.result.notes.append(f"{uncovered} finished visits predate the earliest ICD-10-CM release loaded "
                                f"({earliest}); the coding screen says so and offers that release, marked as the "
                                "nearest.")
