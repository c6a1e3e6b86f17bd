"""The coding queue and discharged-not-final-billed (DNFB) figures: a query over finished encounters.

An encounter is in the queue from the moment it is finished until its case is coded; no row has to
be written when it finishes, so the charts app knows nothing of coding. Restricted charts appear
without the patient's name (opening one goes through break-the-glass as everywhere else).

Payer and DNFB dollars come from billing, which registers a `BillingSource` from its AppConfig
(coding never imports billing: billing depends on coding, not the reverse). The payer is the
payer of the patient's primary active coverage; a patient without coverage records shows the
issuer of their plan identifier (member ID, Medicare MBI or Medicaid number, in that order), as
before coverage existed. DNFB dollars are the active charges billing recorded on the waiting
encounters (inpatient stays are usually charged after coding, so theirs are often zero).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, DecimalField, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from chartdesk.charts.models import Encounter, EncounterStatus
from chartdesk.coding.workflow.models import CaseStatus
from chartdesk.patients.models import IdentifierType, PatientIdentifier

PAYER_TYPES = (IdentifierType.MEMBER_ID, IdentifierType.MEDICARE_MBI, IdentifierType.MEDICAID)
WAITING_STATUSES = (CaseStatus.READY, CaseStatus.IN_PROGRESS, CaseStatus.ON_HOLD)
QUEUE_LIMIT = 500


@dataclass(frozen=True)
class QueueFilters:
    encounter_class: str = ""
    payer: str = ""
    min_days: int | None = None
    coder: str = ""  # a user id, "unassigned", or "" for anyone
    status: str = ""  # a CaseStatus waiting value, or "" for every waiting encounter


@dataclass(frozen=True)
class BillingSource:
    """What billing tells the coding queue, as query expressions over an Encounter queryset."""

    payer: Callable[[], Any]  # name of the payer of the patient's primary active coverage (or NULL)
    charges: Callable[[], Any]  # sum of the encounter's active charges (or NULL)
    payers: Callable[[], list[str]]  # every payer billing knows, by name


_billing: list[BillingSource] = []


def register_billing_source(source: BillingSource) -> None:
    """Called by the billing app when it is ready; the last registration wins."""
    _billing[:] = [source]


def payer_of_patient() -> Subquery:
    preference = Case(
        *[When(type=kind, then=Value(rank)) for rank, kind in enumerate(PAYER_TYPES)],
        output_field=IntegerField(),
    )
    return Subquery(
        PatientIdentifier.objects.filter(patient=OuterRef("patient_id"), active=True, type__in=PAYER_TYPES)
        .annotate(preference=preference)
        .order_by("preference", "pk")
        .values("issuer")[:1]
    )


def waiting_encounters() -> QuerySet[Encounter]:
    """Finished encounters whose coding is not complete, with their case (if any) and payer."""
    return (
        Encounter.objects.filter(status=EncounterStatus.FINISHED)
        .filter(Q(coding_case__isnull=True) | Q(coding_case__status__in=WAITING_STATUSES))
        .select_related("patient", "coding_case", "coding_case__assigned_to")
        .annotate(payer=_payer(), dnfb_charges=_charges())
    )


def _payer() -> Any:
    if not _billing:
        return payer_of_patient()
    return Coalesce(_billing[0].payer(), payer_of_patient())


def _charges() -> Any:
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=12, decimal_places=2))
    if not _billing:
        return zero
    return Coalesce(_billing[0].charges(), zero)


def queue_encounters(filters: QueueFilters, *, today: datetime.date | None = None) -> QuerySet[Encounter]:
    """The waiting encounters the filters keep, unordered and unlimited (the desk pages through them)."""
    today = today or timezone.localdate()
    encounters = waiting_encounters()
    if filters.encounter_class:
        encounters = encounters.filter(encounter_class=filters.encounter_class)
    if filters.payer:
        encounters = encounters.filter(payer=filters.payer)  # type: ignore[misc]
    if filters.min_days is not None:
        cutoff = today - datetime.timedelta(days=filters.min_days)
        encounters = encounters.filter(discharge_at__date__lte=cutoff)
    if filters.coder == "unassigned":
        encounters = encounters.filter(Q(coding_case__isnull=True) | Q(coding_case__assigned_to__isnull=True))
    elif filters.coder:
        encounters = encounters.filter(coding_case__assigned_to_id=int(filters.coder))
    if filters.status == CaseStatus.READY:
        encounters = encounters.filter(Q(coding_case__isnull=True) | Q(coding_case__status=CaseStatus.READY))
    elif filters.status:
        encounters = encounters.filter(coding_case__status=filters.status)
    return encounters


def with_days_waiting(rows: list[Encounter], *, today: datetime.date | None = None) -> list[Encounter]:
    """Set `days_waiting` (whole days since the discharge day) on each encounter."""
    today = today or timezone.localdate()
    for encounter in rows:
        discharged = timezone.localtime(encounter.discharge_at).date() if encounter.discharge_at else today
        encounter.days_waiting = (today - discharged).days  # type: ignore[attr-defined]
    return rows


def coding_queue(filters: QueueFilters, *, today: datetime.date | None = None) -> list[Encounter]:
    """The queue, oldest discharge first, filtered; each encounter carries `days_waiting` and `payer`."""
    rows = list(queue_encounters(filters, today=today).order_by("discharge_at", "pk")[:QUEUE_LIMIT])
    return with_days_waiting(rows, today=today)


@dataclass(frozen=True)
class DnfbLine:
    encounter_class: str
    label: str
    encounters: int
    days: int
    oldest_days: int
    charges: Decimal = Decimal("0.00")


def dnfb_summary(*, today: datetime.date | None = None) -> list[DnfbLine]:
    """Discharged-not-final-billed by encounter class: how many, their days added up, the oldest."""
    today = today or timezone.localdate()
    by_class: dict[str, list[int]] = {}
    dollars: dict[str, Decimal] = {}
    labels: dict[str, str] = {}
    for encounter in waiting_encounters():
        discharged = timezone.localtime(encounter.discharge_at).date() if encounter.discharge_at else today
        by_class.setdefault(encounter.encounter_class, []).append((today - discharged).days)
        dollars[encounter.encounter_class] = dollars.get(encounter.encounter_class, Decimal("0.00")) + \
            encounter.dnfb_charges  # type: ignore[attr-defined]
        labels[encounter.encounter_class] = encounter.get_encounter_class_display()
    return [
        DnfbLine(kind, labels[kind], len(days), sum(days), max(days), dollars[kind])
        for kind, days in sorted(by_class.items())
    ]


def payers_in_queue() -> list[str]:
    """The payer filter's choices: every payer billing knows, and any plan issuer in the queue."""
    known = set(_billing[0].payers()) if _billing else set()
    return sorted(known | {payer for payer in waiting_encounters().values_list("payer", flat=True) if payer})  # type: ignore[misc]


def case_of(encounter: Encounter) -> Any:
    """The encounter's coding case, or None before anyone worked on it."""
    try:
        return encounter.coding_case
    except Encounter.coding_case.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return None
