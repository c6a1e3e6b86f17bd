"""The shape every HIM report shares: filters, periods by day/week/month, series, a drill-down list.

A report is a small module in `reports/catalog/` with one `Report` subclass: its name, the
permissions that open it (any one of them), the filters it understands, the grains it offers,
`compute(filters)` (one value per period per series, every value drillable) and
`drill_down(filters, period, series)` (the records behind one value). The views, the plot and the
exports are written once, here and in `views.py`, `plots.py` and `exports.py`.

Reports read other apps' models read-only. A drill-down lists patients' records, so the view cuts it
to the charts the user may open and audits the list (`patients.access.rows_open_to`,
`record_list_view`), like every other list of patient data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import Q, QuerySet
from django.utils import timezone

GRAINS = (("day", "Day"), ("week", "Week"), ("month", "Month"))
# A day-by-day range longer than this is refused: the plot and the table stop being readable.
MAX_PERIODS = 120

FILTER_LABELS = {
    "service": "Service",
    "location": "Location",
    "payer": "Payer",
    "coder": "Coder",
    "provider": "Provider",
    "reason": "Reason",
    "requester": "Requester",
    "purpose": "Purpose",
    "window": "Discharges averaged over",
}

Number = int | float | Decimal | None


def moment(day: date) -> datetime:
    """Midnight at the start of `day` in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def local_day(instant: datetime) -> date:
    return timezone.localtime(instant).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive
    grain: str

    @property
    def key(self) -> str:
        return self.start.isoformat()

    @property
    def label(self) -> str:
        if self.grain == "month":
            return self.start.strftime("%Y-%m")
        if self.grain == "week":
            return f"week of {self.start.isoformat()}"
        return self.start.isoformat()

    @property
    def starts_at(self) -> datetime:
        return moment(self.start)

    @property
    def ends_at(self) -> datetime:
        """The end of the period, or now while the period is still running (a snapshot is 'as of now')."""
        return min(moment(self.end), timezone.now())


def period_start(day: date, grain: str) -> date:
    if grain == "month":
        return month_start(day)
    if grain == "week":
        return day - timedelta(days=day.weekday())  # weeks start on Monday
    return day


def periods(since: date, until: date, grain: str) -> list[Period]:
    """The periods of `grain` that cover the days since..until (both included)."""
    found = []
    start = period_start(since, grain)
    while start <= until:
        if grain == "month":
            end = next_month(start)
        else:
            end = start + timedelta(days=7 if grain == "week" else 1)
        found.append(Period(start, end, grain))
        start = end
    return found


@dataclass(frozen=True)
class Filters:
    since: date
    until: date
    grain: str = "month"
    dimensions: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.dimensions.get(name, "")

    def periods(self) -> list[Period]:
        return periods(self.since, self.until, self.grain)

    def period_of(self, key: str) -> Period | None:
        return next((period for period in self.periods() if period.key == key), None)


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    values: Sequence[Number]
    unit: str = "count"  # count, dollars, days, percent, hours
    plotted: bool = True


@dataclass(frozen=True)
class Breakdown:
    """A second table (e.g. DNFB by reason at the end of the range): rows drill down like the series."""

    title: str
    period: Period
    columns: list[str]
    rows: list[tuple[str, str, list[Number]]]  # (series key to drill into, label, values)


@dataclass(frozen=True)
class ReportResult:
    periods: list[Period]
    series: list[Series]
    breakdown: Breakdown | None = None
    notes: list[str] = field(default_factory=list)

    def value(self, series_key: str, period_key: str) -> Number:
        keys = [period.key for period in self.periods]
        series = next(series for series in self.series if series.key == series_key)
        return series.values[keys.index(period_key)]


@dataclass(frozen=True)
class DrillRow:
    patient: Any
    patient_id: int
    cells: list[Any]
    url: str = ""


@dataclass(frozen=True)
class DrillList:
    title: str
    columns: list[str]
    rows: list[DrillRow]
    audit_name: str  # object_type of the audit event of the list view


class Report(ABC):
    """One HIM report: each module of catalog/ subclasses it and must say what it computes and what list
    stands behind each number (an unfinished report cannot be instantiated, let alone registered)."""

    slug: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    permissions: ClassVar[tuple[str, ...]]  # any one opens the report
    filters: ClassVar[tuple[str, ...]] = ()
    grains: ClassVar[tuple[str, ...]] = ("day", "week", "month")
    default_grain: ClassVar[str] = "month"
    series_keys: ClassVar[tuple[str, ...]]  # the series `compute` returns, each a drill-down target

    def allowed(self, user: Any) -> bool:
        return bool(user.is_authenticated) and any(user.has_perm(permission) for permission in self.permissions)

    def choices(self, name: str) -> list[tuple[str, str]]:
        """The values a filter can take (value, label); reports override for their own filters."""
        return dimension_choices(name)

    @abstractmethod
    def compute(self, filters: Filters) -> ReportResult:
        """The series by period, the table beside the plot."""

    @abstractmethod
    def drill_down(self, filters: Filters, period: Period, series_key: str) -> DrillList:
        """The records behind one number (encounters, charts, requests or claims)."""


# --------------------------------------------------------------------------- shared filter helpers


def dimension_choices(name: str) -> list[tuple[str, str]]:
    from django.contrib.auth import get_user_model

    from chartdesk.billing.models import Payer
    from chartdesk.charts.models import Encounter, Provider

    if name in {"service", "location"}:
        values = Encounter.objects.exclude(**{name: ""}).values_list(name, flat=True).distinct().order_by(name)
        return [(value, value) for value in values]
    if name == "payer":
        return [(payer, payer) for payer in Payer.objects.order_by("name").values_list("name", flat=True)]
    if name == "provider":
        return [(str(provider.pk), str(provider)) for provider in Provider.objects.order_by("family_name", "pk")]
    if name == "coder":
        coders = get_user_model().objects.filter(
            Q(groups__permissions__codename="code_encounters") | Q(user_permissions__codename="code_encounters")
        ).distinct().order_by("username")
        return [(str(coder.pk), coder.get_full_name() or coder.username) for coder in coders]
    return []


def filter_encounters(encounters: QuerySet[Any], filters: Filters, prefix: str = "") -> QuerySet[Any]:
    """Service, location, payer (primary active coverage) and attending provider, on encounters reached
    through `prefix` (e.g. "encounter__" from a chart completion)."""
    from chartdesk.charts.models import CareRole

    if filters.get("service"):
        encounters = encounters.filter(**{f"{prefix}service": filters.get("service")})
    if filters.get("location"):
        encounters = encounters.filter(**{f"{prefix}location": filters.get("location")})
    if filters.get("payer"):
        encounters = encounters.filter(**{
            f"{prefix}patient__coverages__payer__name": filters.get("payer"),
            f"{prefix}patient__coverages__rank": "primary",
            f"{prefix}patient__coverages__active": True,
        })
    if filters.get("provider"):
        encounters = encounters.filter(**{
            f"{prefix}care_team__provider_id": int(filters.get("provider")),
            f"{prefix}care_team__role": CareRole.ATTENDING,
        })
    return encounters.distinct()


_registry: dict[str, Report] = {}


def register(report_class: type[Report]) -> type[Report]:
    _registry[report_class.slug] = report_class()
    return report_class


def all_reports() -> list[Report]:
    from chartdesk.reports import catalog  # noqa: F401  (importing the catalog registers its reports)

    return list(_registry.values())


def report_of(slug: str) -> Report | None:
    all_reports()
    return _registry.get(slug)
