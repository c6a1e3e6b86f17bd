"""Every read of paper-chart data: one chart and its trail, pick lists, overdue and missing lists.

Lists leave out charts of restricted patients the user may not open; opening one answers NotFound
like a missing one. Each read is recorded in the audit log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import NotFound
from chartdesk.filing.actions import TRACK_CHARTS
from chartdesk.filing.models import ChartMovement, ChartStatus, ExpectedVisit, FileRoom, PaperChart
from chartdesk.filing.order import patient_filing_key
from chartdesk.patients.access import record_list_view, require_open_chart, restriction_allows, rows_open_to


def _allowed(user: Any) -> None:
    if not user.is_authenticated or not user.has_perm(TRACK_CHARTS):
        raise NotFound("paper chart")


def in_filing_order(charts: list[PaperChart]) -> list[PaperChart]:
    """Charts in the filing order of each one's file room (rooms by name, then shelf order)."""
    return sorted(charts, key=lambda chart: (chart.file_room.facility, chart.file_room.name,
                                             patient_filing_key(chart.file_room.filing_system, chart.patient),
                                             chart.volume))


def access_paper_chart_by_id(user: Any, chart_id: Any) -> PaperChart:
    """One paper volume with its movements, if the user tracks charts and may open the patient's chart."""
    _allowed(user)
    try:
        key = int(chart_id)
    except (TypeError, ValueError):
        raise NotFound("paper chart") from None
    chart = (PaperChart.objects.select_related("patient", "file_room", "home_location", "current_checkout")
             .filter(pk=key).first())
    if chart is None:
        raise NotFound("paper chart")
    require_open_chart(user, chart.patient, object_type="paper_chart", object_id=chart.pk)
    record_event(AuditAction.VIEW, user=user, patient=chart.patient, object_type="paper_chart", object_id=chart.pk)
    return chart


def chart_trail(chart: PaperChart) -> list[ChartMovement]:
    """Every movement of a chart already opened through access_paper_chart_by_id, oldest first."""
    return list(chart.movements.select_related("by").order_by("at", "id"))


def access_overdue_charts(user: Any, *, now: datetime | None = None) -> list[PaperChart]:
    """Charts checked out past their due date, most overdue first."""
    _allowed(user)
    now = now or timezone.now()
    charts = list(
        PaperChart.objects.filter(status=ChartStatus.CHECKED_OUT, current_checkout__due_at__lt=now)
        .select_related("patient", "file_room", "current_checkout").order_by("current_checkout__due_at")
    )
    shown = rows_open_to(user, charts)
    record_list_view(user, "overdue_charts", shown)
    return shown


def access_missing_charts(user: Any) -> list[PaperChart]:
    """Charts reported missing, in filing order, for the search."""
    _allowed(user)
    charts = list(PaperChart.objects.filter(status=ChartStatus.MISSING).select_related("patient", "file_room"))
    shown = in_filing_order(rows_open_to(user, charts))
    record_list_view(user, "missing_charts", shown)
    return shown


@dataclass
class PickLine:
    chart: PaperChart
    visits: list[ExpectedVisit] = field(default_factory=list)

    @property
    def to_pull(self) -> bool:
        return self.chart.status == ChartStatus.IN_FILE

    @property
    def first_visit(self) -> ExpectedVisit:
        """The visit the chart goes to first, by clinic then time (a line always has one)."""
        return min(self.visits, key=clinic_order)


@dataclass
class PickList:
    day: date
    lines: list[PickLine]
    without_paper: list[ExpectedVisit]

    @property
    def to_pull(self) -> list[PickLine]:
        return [line for line in self.lines if line.to_pull]

    @property
    def not_in_file(self) -> list[PickLine]:
        return [line for line in self.lines if not line.to_pull]

    @property
    def to_pull_by_clinic(self) -> list[PickLine]:
        """The charts to pull as the clinics receive them: by clinic, then appointment time (filing
        order among charts due at the same clinic and time)."""
        return sorted(self.to_pull, key=lambda line: clinic_order(line.first_visit))


def clinic_order(visit: ExpectedVisit) -> tuple[bool, str, bool, time]:
    """Clinics by name (visits without a clinic last), then by time (visits without a time last)."""
    return (not visit.clinic, visit.clinic.casefold(), visit.at_time is None, visit.at_time or time.min)


# What a pick list shows of a patient: loading whole rows (encrypted SSN, search keys...) for
# thousands of visits costs more than the query itself.
PICK_PATIENT_FIELDS = ("mrn", "given_name", "middle_name", "family_name", "birth_date", "restriction", "status")


# Apps above filing that know of visits (the schedule's appointments) register a source from their
# AppConfig: a callable giving a day's visits as unsaved ExpectedVisit rows, patients loaded with
# PICK_PATIENT_FIELDS. Filing imports none of them.
VisitSource = Callable[[date], list[ExpectedVisit]]
_visit_sources: dict[str, VisitSource] = {}


def register_visit_source(name: str, source: VisitSource) -> None:
    """Feed the pick list from another app's visits (registering a name again replaces its source)."""
    _visit_sources[name] = source


def _visit_order(visit: ExpectedVisit) -> tuple[bool, time, int]:
    return (visit.at_time is None, visit.at_time or time.min, visit.pk or 0)


def expected_visits_on(day: date) -> list[ExpectedVisit]:
    """A day's visits: those typed or imported here, and those of every registered source, by time."""
    visits = list(ExpectedVisit.objects.filter(expected_on=day).select_related("patient")
                  .only("patient_id", "expected_on", "at_time", "kind", "clinic", "provider",
                        *(f"patient__{name}" for name in PICK_PATIENT_FIELDS)))
    for source in _visit_sources.values():
        visits.extend(source(day))
    return sorted(visits, key=_visit_order)


def build_pick_list(day: date, *, file_room: FileRoom | None = None, user: Any = None) -> PickList:
    """The charts to pull for `day`'s expected visits, in filing order (restriction-filtered for `user`)."""
    visits = expected_visits_on(day)
    by_patient: dict[int, list[ExpectedVisit]] = defaultdict(list)
    for visit in visits:
        by_patient[visit.patient_id].append(visit)
    charts = PaperChart.objects.filter(patient_id__in=by_patient.keys()).exclude(status=ChartStatus.DESTROYED)
    if file_room is not None:
        charts = charts.filter(file_room=file_room)
    patients = {visit.patient_id: visit.patient for visit in visits}
    found = list(charts.select_related("file_room", "home_location", "current_checkout"))
    for chart in found:
        chart.patient = patients[chart.patient_id]  # already loaded with the visits
    if user is not None:
        found = rows_open_to(user, found)
    with_paper = {chart.patient_id for chart in found}
    lines = [PickLine(chart, by_patient[chart.patient_id]) for chart in in_filing_order(found)]
    without = [visit for visit in visits if visit.patient_id not in with_paper
               and (user is None or restriction_allows(user, visit.patient))]
    return PickList(day, lines, without)


def access_pick_list(user: Any, day: date, *, file_room: FileRoom | None = None) -> PickList:
    """The pick list of `day` for a user who tracks charts; the read is audited."""
    _allowed(user)
    picks = build_pick_list(day, file_room=file_room, user=user)
    record_list_view(user, "pick_list", [line.chart for line in picks.lines], day=day.isoformat())
    return picks
