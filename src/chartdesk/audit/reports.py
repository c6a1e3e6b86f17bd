"""Read-only selectors behind the audit report pages. Nothing here writes.

A report is a time range and a sort order applied to the events of one patient or one user. The
query string is parsed here, at the edge: a bad date or an unknown column becomes a message naming
the parameter, and the report then shows the unfiltered (or default-sorted) events.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from chartdesk.audit.models import AuditAction, AuditEvent

# Column key (as used in ?sort=) -> (heading, model field). Sorting is allowed on these only.
COLUMNS: dict[str, tuple[str, str]] = {
    "when": ("When (UTC)", "occurred_at"),
    "sequence": ("Event", "sequence"),
    "user": ("User", "username"),
    "role": ("Role", "role"),
    "patient": ("Patient MRN", "patient_mrn"),
    "action": ("Action", "action"),
    "object": ("Object", "object_type"),
    "object_id": ("Object id", "object_id"),
    "outcome": ("Outcome", "outcome"),
    "address": ("Client address", "client_address"),
    "channel": ("Channel", "channel"),
    "reason": ("Break-the-glass reason", "break_the_glass_reason"),
}
DEFAULT_SORT = "-when"
PAGE_SIZE = 50
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


@dataclass
class ReportQuery:
    """The validated filters and sort of a report, and the problems found reading them."""

    start: datetime | None = None
    end: datetime | None = None
    sort: str = DEFAULT_SORT
    problems: list[str] = field(default_factory=list)
    raw_from: str = ""
    raw_to: str = ""

    @property
    def order_by(self) -> list[str]:
        descending = self.sort.startswith("-")
        column = COLUMNS[self.sort.lstrip("-")][1]
        tie_breaker = "-sequence" if descending else "sequence"
        return [f"-{column}" if descending else column, tie_breaker]

    def apply(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if self.start is not None:
            events = events.filter(occurred_at__gte=self.start)
        if self.end is not None:
            events = events.filter(occurred_at__lt=self.end)
        return events.order_by(*self.order_by)

    def describe(self) -> dict[str, Any]:
        """What the audit event of reading this report records about the filter."""
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "sort": self.sort,
        }


def _parse_moment(raw: str, name: str, *, end_of_day: bool) -> tuple[datetime | None, str | None]:
    raw = raw.strip()
    if not raw:
        return None, None
    for pattern in DATE_FORMATS:
        try:
            parsed = datetime.strptime(raw, pattern)  # noqa: DTZ007  (interpreted in UTC just below)
        except ValueError:
            continue
        if pattern == "%Y-%m-%d" and end_of_day:
            parsed = datetime.combine(parsed.date() + timedelta(days=1), time.min)
        return parsed.replace(tzinfo=UTC), None
    return None, f"'{name}' must be a date like 2026-03-15 or a time like 2026-03-15T14:30 (UTC); {raw!r} is not."


def parse_report_query(params: QueryDict) -> ReportQuery:
    """Read from, to (UTC dates or date-times; a date 'to' includes that whole day) and sort."""
    query = ReportQuery(raw_from=params.get("from", "").strip(), raw_to=params.get("to", "").strip())
    start, problem = _parse_moment(query.raw_from, "from", end_of_day=False)
    if problem:
        query.problems.append(problem)
    end, problem = _parse_moment(query.raw_to, "to", end_of_day=True)
    if problem:
        query.problems.append(problem)
    if start is not None and end is not None and end <= start:
        query.problems.append("'to' must be after 'from': the time range is empty. Showing all times instead.")
        start = end = None
    query.start, query.end = start, end
    sort = params.get("sort", DEFAULT_SORT).strip() or DEFAULT_SORT
    if sort.lstrip("-") not in COLUMNS:
        query.problems.append(
            f"Cannot sort by {sort!r}; the columns are {', '.join(COLUMNS)} (add '-' for descending)."
        )
        sort = DEFAULT_SORT
    query.sort = sort
    return query


@dataclass(frozen=True)
class PatientKey:
    """Who a patient report is about: the id and MRN found in the patient index or the audit rows."""

    pk: int | None
    mrn: str
    name: str = ""

    def condition(self) -> Q:
        condition = Q()
        if self.pk is not None:
            condition |= Q(patient_id=self.pk)
        if self.mrn:
            condition |= Q(patient_mrn=self.mrn)
        return condition


# The patient index answers "which patient is this id or MRN" (id, MRN, display name). Audit sits
# below patients and must not import it: patients registers the lookup from PatientsConfig.ready.
PatientIndex = Callable[..., "tuple[int, str, str] | None"]
_patient_index: PatientIndex | None = None


def register_patient_index(lookup: PatientIndex) -> None:
    global _patient_index
    _patient_index = lookup


def find_patient(*, mrn: str = "", patient_id: Any = None) -> PatientKey | None:
    """Resolve an MRN or patient id, from the patient index when the row exists, else from the audit
    rows themselves (events outlive merges and keep the MRN they were written with)."""
    mrn = mrn.strip()
    if patient_id not in (None, ""):
        try:
            pk = int(patient_id)
        except (TypeError, ValueError):
            return None
        indexed = _patient_index(pk=pk) if _patient_index is not None else None
        if indexed is not None:
            return PatientKey(*indexed)
        seen = AuditEvent.objects.filter(patient_id=pk).values_list("patient_mrn", flat=True).first()
        return PatientKey(pk, seen or "") if seen is not None else None
    if mrn:
        indexed = _patient_index(mrn=mrn) if _patient_index is not None else None
        if indexed is not None:
            return PatientKey(*indexed)
        seen = AuditEvent.objects.filter(patient_mrn__iexact=mrn).values_list("patient_id", "patient_mrn").first()
        return PatientKey(seen[0], seen[1]) if seen is not None else None
    return None


def events_for_patient(key: PatientKey, query: ReportQuery) -> QuerySet[AuditEvent]:
    """Every event that names this patient: who looked at, changed, printed or released the chart."""
    return query.apply(AuditEvent.objects.filter(key.condition()))


def events_by_user(username: str, query: ReportQuery) -> QuerySet[AuditEvent]:
    """Everything one user did, including failed log-ins under their user name."""
    return query.apply(AuditEvent.objects.filter(username=username))


def as_of_now(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """The events written before this request: reading or exporting a report is recorded, and that
    record belongs to the next report, not to the one being read."""
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    return events.filter(sequence__lte=last or 0)


def recent_break_the_glass(*, days: int = 30, limit: int = 50) -> QuerySet[AuditEvent]:
    """Emergency openings of restricted charts, and the views made under them, newest first."""
    since = timezone.now() - timedelta(days=days)
    return (
        AuditEvent.objects.filter(occurred_at__gte=since)
        .filter(Q(action=AuditAction.BREAK_THE_GLASS) | ~Q(break_the_glass_reason=""))
        .order_by("-occurred_at", "-sequence")[:limit]
    )


def sort_links(query: ReportQuery) -> list[dict[str, str]]:
    """Column headings with the sort each one links to and its current aria-sort state."""
    current = query.sort.lstrip("-")
    descending = query.sort.startswith("-")
    headings = []
    for key, (label, _field) in COLUMNS.items():
        if key == current:
            state, next_sort = ("descending", key) if descending else ("ascending", f"-{key}")
        else:
            state, next_sort = "", key
        headings.append({"key": key, "label": label, "sort": next_sort, "aria_sort": state})
    return headings


CSV_HEADER = [label for label, _field in COLUMNS.values()] + ["Patient id", "User id", "Detail"]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # Spreadsheet programs run cells that start with these as formulas; a user name or a reason typed
    # into the desk must never execute on the auditor's computer.
    if text[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """The report as CSV, streamed in chunks so a long range never sits in memory."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for event in events.iterator(chunk_size=2000):
        row = [getattr(event, model_field) for _label, model_field in COLUMNS.values()]
        row[0] = event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        row += [event.patient_id, event.user_id, json.dumps(event.detail, sort_keys=True)]
        yield writer.writerow([_cell(value) for value in row])
