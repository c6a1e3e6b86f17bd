"""Every read of deficiencies: the provider's queue, one deficiency, HIM's work list, the delinquency rate.

A provider sees only deficiencies assigned to them; HIM (completion.manage_deficiencies) sees all.
A restricted chart's deficiencies are left out of lists for users who may not open it, and opening
one answers NotFound, like a missing one. Every read of patient data is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.actions import provider_of
from chartdesk.completion.actions import COMPLETE_CHARTS, MANAGE_DEFICIENCIES
from chartdesk.completion.models import OUTSTANDING, ChartCompletion, Deficiency, DeficiencyStatus
from chartdesk.core.errors import NotFound
from chartdesk.patients.access import record_list_view, require_open_chart, rows_open_to


def _base() -> QuerySet[Deficiency]:
    return Deficiency.objects.select_related("patient", "encounter", "document", "provider", "rule")


def access_queue_for_user(user: Any) -> list[Deficiency]:
    """The signed-in provider's charts to complete: their outstanding deficiencies, oldest first."""
    if not user.is_authenticated or not user.has_perm(COMPLETE_CHARTS):
        raise NotFound("queue")
    provider = provider_of(user)
    if provider is None:
        return []
    queue = rows_open_to(user, _base().filter(provider=provider, status__in=OUTSTANDING).order_by("opened_at", "id"))
    record_list_view(user, "deficiency_queue", queue)
    return queue


def access_deficiencies_for_review(user: Any, *, status: str = "") -> list[Deficiency]:
    """HIM's list: every outstanding deficiency, or those of one status (e.g. disputed)."""
    if not user.is_authenticated or not user.has_perm(MANAGE_DEFICIENCIES):
        raise NotFound("deficiencies")
    found = _base().filter(status=status) if status in DeficiencyStatus.values else _base().filter(
        status__in=OUTSTANDING)
    shown = rows_open_to(user, list(found.order_by("opened_at", "id")[:500]))
    record_list_view(user, "deficiency_review", shown)
    return shown


def access_deficiency_by_id(user: Any, deficiency_id: Any) -> Deficiency:
    """One deficiency, for its assigned provider or for HIM; forbidden and missing both NotFound."""
    try:
        key = int(deficiency_id)
    except (TypeError, ValueError):
        raise NotFound("deficiency") from None
    if not user.is_authenticated:
        raise NotFound("deficiency")
    deficiency = _base().filter(pk=key).first()
    if deficiency is None:
        raise NotFound("deficiency")
    manager = user.has_perm(MANAGE_DEFICIENCIES)
    provider = provider_of(user) if user.has_perm(COMPLETE_CHARTS) else None
    assigned = provider is not None and deficiency.provider_id == provider.pk
    if not (manager or assigned):
        raise NotFound("deficiency")
    require_open_chart(user, deficiency.patient, object_type="deficiency", object_id=deficiency.pk)
    record_event(AuditAction.VIEW, user=user, patient=deficiency.patient, object_type="deficiency",
                 object_id=deficiency.pk)
    return deficiency


@dataclass(frozen=True)
class DelinquencyMonth:
    month: date
    delinquent_records: int
    discharges: int
    average_monthly_discharges: float

    @property
    def rate_percent(self) -> float | None:
        if not self.average_monthly_discharges:
            return None
        return round(100 * self.delinquent_records / self.average_monthly_discharges, 1)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def delinquency_rate(month: date, *, averaged_over_months: int = 12,
                     records: QuerySet[ChartCompletion] | None = None) -> DelinquencyMonth:
    """The delinquency rate of `month`: records delinquent at its end against average monthly discharges.

    Discharges are averaged over the `averaged_over_months` months ending with `month` (The Joint
    Commission's form: total delinquent records / average monthly discharges). Counts only, no
    patient data, so no access check beyond the view's permission. `records` narrows both counts to
    some records (the reports' service and location filters); all records by default.
    """
    records = ChartCompletion.objects.all() if records is None else records
    start = _month_start(month)
    end = _next_month(start)
    window_start = start
    for _ in range(averaged_over_months - 1):
        window_start = _month_start(window_start - timedelta(days=1))
    delinquent = (
        records.filter(delinquent_since__lt=_moment(end))
        .exclude(completed_at__lt=_moment(end))
        .count()
    )
    in_window = records.filter(discharge_at__gte=_moment(window_start), discharge_at__lt=_moment(end))
    this_month = in_window.filter(discharge_at__gte=_moment(start)).count()
    return DelinquencyMonth(start, delinquent, this_month, in_window.count() / averaged_over_months)
