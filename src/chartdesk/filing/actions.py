"""Every change to paper charts: volumes, check-out and check-in, missing charts, expected visits.

Each action checks the permission and the chart's restriction (a restricted patient's chart refuses
as not found), runs in one transaction and writes its audit event there.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.permissions import require_permission
from chartdesk.filing.models import (
    ChartMovement,
    ChartStatus,
    ExpectedVisit,
    FileRoom,
    LocationKind,
    MovementKind,
    PaperChart,
    StorageLocation,
    VisitKind,
)
from chartdesk.filing.order import FilingSystem
from chartdesk.patients.access import restriction_allows
from chartdesk.patients.models import Patient, PatientStatus

DIGITS = "0123456789"  # str.isdecimal() also accepts superscripts that int() refuses

TRACK_CHARTS = "filing.track_charts"
MANAGE_FILE_ROOMS = "filing.manage_file_rooms"

REQUIRED = "Give the {what}."
TOO_LONG = "The {what} may be at most {limit} characters."
SYSTEM_UNKNOWN = "Choose the filing system: terminal digit, middle digit, straight numeric or alphabetic."
LOCATION_KIND_UNKNOWN = "Choose the kind of location: shelf range or off-site box."
LOCATION_CODE_TAKEN = "The location code {code} is already used."
LOCATION_OTHER_ROOM = "The location {code} belongs to another file room."
PATIENT_MERGED = "This chart was merged into MRN {mrn}; file paper under the surviving chart."
CHART_NOT_IN_FILE = "The chart {barcode} is not in the file (it is {status})."
CHART_NOT_OUT = "The chart {barcode} is not checked out (it is {status})."
DUE_IN_PAST = "The due date {when} is already past."
BARCODE_UNKNOWN = "No paper chart has the barcode {barcode}."
NOT_MISSING = "The chart {barcode} is not reported missing."
VISIT_KIND_UNKNOWN = "Choose appointment or scheduled admission."
IMPORT_HEADER = "The first line must name the columns mrn,date,time,kind,clinic (time, kind and clinic may be empty)."
IMPORT_LINE = "Line {line}: {problem}"
IMPORT_EMPTY = "The file holds no expected visits."


def _chart_of(user: Any, patient: Patient) -> None:
    if not restriction_allows(user, patient):
        raise NotFound("patient")


def _text(value: str | None, limit: int, what: str, field: str, *, required: bool = False) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise ChartdeskError(REQUIRED.format(what=what), field=field)
    if len(cleaned) > limit:
        raise ChartdeskError(TOO_LONG.format(what=what, limit=limit), field=field)
    return cleaned


def _audit(user: Any, chart: PaperChart, change: str, **detail: Any) -> None:
    record_event(AuditAction.UPDATE if change != "created" else AuditAction.CREATE, user=user,
                 patient=chart.patient, object_type="paper_chart", object_id=chart.pk,
                 detail={"change": change, "barcode": chart.barcode, **detail})


# ----------------------------------------------------------------------------- file rooms


def do_create_file_room(*, facility: str, name: str, filing_system: str, acting_user: Any) -> FileRoom:
    """Set up a facility's file room and the filing system its shelves follow."""
    require_permission(acting_user, MANAGE_FILE_ROOMS, "set up file rooms")
    facility = _text(facility, 120, "facility", "facility", required=True)
    name = _text(name, 120, "file room name", "name", required=True)
    if filing_system not in FilingSystem.values:
        raise ChartdeskError(SYSTEM_UNKNOWN, field="filing_system")
    with transaction.atomic():
        room = FileRoom.objects.create(facility=facility, name=name, filing_system=filing_system)
        record_event(AuditAction.CREATE, user=acting_user, object_type="file_room", object_id=room.pk,
                     detail={"facility": facility, "name": name, "filing_system": filing_system})
    return room


def do_add_storage_location(room: FileRoom, *, kind: str, code: str, description: str = "", acting_user: Any
                            ) -> StorageLocation:
    """Add a shelf range or an off-site box to a file room."""
    require_permission(acting_user, MANAGE_FILE_ROOMS, "set up storage locations")
    if kind not in LocationKind.values:
        raise ChartdeskError(LOCATION_KIND_UNKNOWN, field="kind")
    code = _text(code, 40, "location code", "code", required=True).upper()
    description = _text(description, 200, "description", "description")
    with transaction.atomic():
        if StorageLocation.objects.filter(code=code).exists():
            raise ChartdeskError(LOCATION_CODE_TAKEN.format(code=code), field="code")
        location = StorageLocation.objects.create(file_room=room, kind=kind, code=code, description=description)
        record_event(AuditAction.CREATE, user=acting_user, object_type="storage_location", object_id=location.pk,
                     detail={"file_room_id": room.pk, "kind": kind, "code": code})
    return location


# ----------------------------------------------------------------------------- volumes and movements


def chart_barcode(patient: Patient, volume: int) -> str:
    """What the folder's barcode encodes: the MRN and the volume ('C10000018V01')."""
    return f"C{patient.mrn}V{volume:02d}"


def do_create_paper_chart(patient: Patient, *, file_room: FileRoom, acting_user: Any,
                          home_location: StorageLocation | None = None) -> PaperChart:
    """Open the next paper volume of a patient's chart in a file room."""
    require_permission(acting_user, TRACK_CHARTS, "create paper charts")
    _chart_of(acting_user, patient)
    if patient.status == PatientStatus.MERGED:
        survivor = patient.merged_into
        raise ChartdeskError(PATIENT_MERGED.format(mrn=survivor.mrn if survivor else "unknown"))
    if home_location is not None and home_location.file_room_id != file_room.pk:
        raise ChartdeskError(LOCATION_OTHER_ROOM.format(code=home_location.code), field="home_location")
    with transaction.atomic():
        # Lock the patient's volumes: two clerks opening a volume at once must not both take number 2.
        existing = list(PaperChart.objects.select_for_update().filter(patient=patient).values_list("volume", flat=True))
        volume = max(existing, default=0) + 1
        chart = PaperChart.objects.create(patient=patient, volume=volume, file_room=file_room,
                                          home_location=home_location, barcode=chart_barcode(patient, volume),
                                          created_by=acting_user)
        ChartMovement.objects.create(chart=chart, kind=MovementKind.CREATED, by=acting_user,
                                     note=f"home {home_location.code}" if home_location else "")
        _audit(acting_user, chart, "created", volume=volume, file_room_id=file_room.pk)
    return chart


def _locked_chart(chart: PaperChart, user: Any) -> PaperChart:
    # Row lock: the same folder scanned at two desks must move once.
    # of=self: PostgreSQL cannot lock the nullable side of the outer join to the current loan.
    locked = (PaperChart.objects.select_for_update(of=("self",)).select_related("patient", "current_checkout")
              .get(pk=chart.pk))
    _chart_of(user, locked.patient)
    return locked


def _aware(moment: datetime | date, field: str) -> datetime:
    if isinstance(moment, datetime):
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
    if isinstance(moment, date):
        return timezone.make_aware(datetime.combine(moment, time(17, 0)))
    raise ChartdeskError(REQUIRED.format(what="due date"), field=field)


def do_check_out_chart(chart: PaperChart, *, borrower: str, department: str, purpose: str, due_at: datetime | date,
                       acting_user: Any, now: datetime | None = None) -> ChartMovement:
    """Lend a chart to a person or department with a purpose and due date; the out-guide marks the gap."""
    require_permission(acting_user, TRACK_CHARTS, "check charts out")
    borrower = _text(borrower, 120, "borrower", "borrower")
    department = _text(department, 120, "department", "department")
    if not borrower and not department:
        raise ChartdeskError(REQUIRED.format(what="person or department the chart goes to"), field="borrower")
    purpose = _text(purpose, 200, "purpose", "purpose", required=True)
    due = _aware(due_at, "due_at")
    now = now or timezone.now()
    if due <= now:
        raise ChartdeskError(DUE_IN_PAST.format(when=timezone.localtime(due).strftime("%Y-%m-%d %H:%M")),
                             field="due_at")
    with transaction.atomic():
        locked = _locked_chart(chart, acting_user)
        if locked.status != ChartStatus.IN_FILE:
            raise ChartdeskError(CHART_NOT_IN_FILE.format(barcode=locked.barcode,
                                                          status=locked.get_status_display().lower()))
        movement = ChartMovement.objects.create(chart=locked, kind=MovementKind.CHECK_OUT, at=now, by=acting_user,
                                                borrower=borrower, department=department, purpose=purpose,
                                                due_at=due)
        locked.status = ChartStatus.CHECKED_OUT
        locked.current_checkout = movement
        locked.save(update_fields=["status", "current_checkout"])
        _audit(acting_user, locked, "checked out", borrower=borrower, department=department, purpose=purpose,
               due_at=due.isoformat())
    return movement


def chart_by_barcode(barcode: str) -> PaperChart:
    code = (barcode or "").strip().upper()
    chart = PaperChart.objects.select_related("patient").filter(barcode=code).first()
    if chart is None:
        raise ChartdeskError(BARCODE_UNKNOWN.format(barcode=code or "(empty)"), field="barcode")
    return chart


def do_check_in_chart(barcode: str, *, acting_user: Any, now: datetime | None = None) -> ChartMovement:
    """Check a chart back in by scanning its folder barcode; a chart reported missing is found this way too."""
    require_permission(acting_user, TRACK_CHARTS, "check charts in")
    chart = chart_by_barcode(barcode)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_chart(chart, acting_user)
        if locked.status not in (ChartStatus.CHECKED_OUT, ChartStatus.MISSING):
            raise ChartdeskError(CHART_NOT_OUT.format(barcode=locked.barcode,
                                                      status=locked.get_status_display().lower()), field="barcode")
        was = locked.status
        kind = MovementKind.CHECK_IN if was == ChartStatus.CHECKED_OUT else MovementKind.FOUND
        loan = locked.current_checkout
        late = loan is not None and loan.due_at is not None and now > loan.due_at
        movement = ChartMovement.objects.create(chart=locked, kind=kind, at=now, by=acting_user,
                                                note="returned late" if late else "")
        locked.status = ChartStatus.IN_FILE
        locked.current_checkout = None
        locked.save(update_fields=["status", "current_checkout"])
        _audit(acting_user, locked, "checked in" if kind == MovementKind.CHECK_IN else "found", late=late)
    return movement


def do_report_chart_missing(chart: PaperChart, *, note: str, acting_user: Any) -> ChartMovement:
    """Report a chart missing (not where the record says it is); the search starts from its trail."""
    require_permission(acting_user, TRACK_CHARTS, "report charts missing")
    note = _text(note, 300, "where it was looked for", "note", required=True)
    with transaction.atomic():
        locked = _locked_chart(chart, acting_user)
        if locked.status == ChartStatus.DESTROYED:
            raise ChartdeskError(CHART_NOT_IN_FILE.format(barcode=locked.barcode, status="destroyed"))
        movement = ChartMovement.objects.create(chart=locked, kind=MovementKind.MISSING, by=acting_user, note=note)
        locked.status = ChartStatus.MISSING
        locked.save(update_fields=["status"])
        _audit(acting_user, locked, "reported missing", note=note)
    return movement


def do_record_chart_search(chart: PaperChart, *, note: str, acting_user: Any) -> ChartMovement:
    """Add a search step (where someone looked, whom they asked) to a missing chart's trail."""
    require_permission(acting_user, TRACK_CHARTS, "search for missing charts")
    note = _text(note, 300, "where it was looked for", "note", required=True)
    with transaction.atomic():
        locked = _locked_chart(chart, acting_user)
        if locked.status != ChartStatus.MISSING:
            raise ChartdeskError(NOT_MISSING.format(barcode=locked.barcode))
        movement = ChartMovement.objects.create(chart=locked, kind=MovementKind.SEARCHED, by=acting_user, note=note)
        _audit(acting_user, locked, "searched", note=note)
    return movement


# ----------------------------------------------------------------------------- expected visits


def do_add_expected_visit(patient: Patient, *, expected_on: date, kind: str, acting_user: Any,
                          at_time: time | None = None, clinic: str = "") -> ExpectedVisit:
    """Enter an appointment or scheduled admission so its chart is pulled the day before."""
    require_permission(acting_user, TRACK_CHARTS, "enter expected visits")
    _chart_of(acting_user, patient)
    if kind not in VisitKind.values:
        raise ChartdeskError(VISIT_KIND_UNKNOWN, field="kind")
    if not isinstance(expected_on, date):
        raise ChartdeskError(REQUIRED.format(what="date of the visit"), field="expected_on")
    clinic = _text(clinic, 120, "clinic", "clinic")
    with transaction.atomic():
        visit = ExpectedVisit.objects.create(patient=patient, expected_on=expected_on, at_time=at_time, kind=kind,
                                             clinic=clinic, created_by=acting_user)
        record_event(AuditAction.CREATE, user=acting_user, patient=patient, object_type="expected_visit",
                     object_id=visit.pk, detail={"expected_on": expected_on.isoformat(), "kind": kind})
    return visit


def _parse_visit_row(row: dict[str, str], patients: dict[str, Patient]) -> dict[str, Any]:
    mrn = "".join(char for char in (row.get("mrn") or "") if char in DIGITS)
    patient = patients.get(mrn)
    if patient is None:
        raise ValueError(f"mrn: no patient has the MRN {row.get('mrn', '').strip() or '(empty)'}")
    try:
        expected_on = date.fromisoformat((row.get("date") or "").strip())
    except ValueError:
        raise ValueError(f"date: {row.get('date', '').strip() or '(empty)'} is not a date as YYYY-MM-DD") from None
    at_time = None
    if (row.get("time") or "").strip():
        try:
            at_time = time.fromisoformat(row["time"].strip())
        except ValueError:
            raise ValueError(f"time: {row['time'].strip()} is not a time as HH:MM") from None
    kind = (row.get("kind") or "").strip() or VisitKind.APPOINTMENT
    if kind not in VisitKind.values:
        raise ValueError(f"kind: {kind} is neither appointment nor admission")
    clinic = (row.get("clinic") or "").strip()
    if len(clinic) > 120:
        raise ValueError("clinic: at most 120 characters")
    return {"patient": patient, "expected_on": expected_on, "at_time": at_time, "kind": kind, "clinic": clinic}


def do_import_expected_visits(text: str, *, acting_user: Any) -> int:
    """Import the scheduling system's list (CSV: mrn,date,time,kind,clinic); all lines or none."""
    require_permission(acting_user, TRACK_CHARTS, "import expected visits")
    # newline="": the csv module handles \r, \n and \r\n line ends itself.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        if not reader.fieldnames or not {"mrn", "date"} <= {name.strip() for name in reader.fieldnames}:
            raise ChartdeskError(IMPORT_HEADER, field="file")
        rows = list(reader)
    except csv.Error as problem:
        raise ChartdeskError(IMPORT_LINE.format(line=reader.line_num, problem=problem), field="file") from None
    if not rows:
        raise ChartdeskError(IMPORT_EMPTY, field="file")
    wanted = {"".join(char for char in (row.get("mrn") or "") if char in DIGITS) for row in rows}
    patients = {patient.mrn: patient for patient in Patient.objects.filter(mrn__in=wanted)}
    parsed = []
    for line, row in enumerate(rows, start=2):
        try:
            visit = _parse_visit_row({key.strip(): value for key, value in row.items() if key}, patients)
        except ValueError as problem:
            raise ChartdeskError(IMPORT_LINE.format(line=line, problem=problem), field="file") from None
        if not restriction_allows(acting_user, visit["patient"]):
            raise ChartdeskError(IMPORT_LINE.format(line=line, problem="mrn: no patient has this MRN"), field="file")
        parsed.append(visit)
    with transaction.atomic():
        ExpectedVisit.objects.bulk_create([ExpectedVisit(created_by=acting_user, **visit) for visit in parsed])
        record_event(AuditAction.CREATE, user=acting_user, object_type="expected_visit_import",
                     detail={"count": len(parsed), "patient_ids": sorted({v["patient"].pk for v in parsed})})
    return len(parsed)


def do_change_filing_system(room: FileRoom, *, filing_system: str, acting_user: Any) -> FileRoom:
    """Change the filing system a file room's shelves follow (after a conversion project)."""
    require_permission(acting_user, MANAGE_FILE_ROOMS, "set up file rooms")
    if filing_system not in FilingSystem.values:
        raise ChartdeskError(SYSTEM_UNKNOWN, field="filing_system")
    with transaction.atomic():
        locked = FileRoom.objects.select_for_update().get(pk=room.pk)
        previous = locked.filing_system
        locked.filing_system = filing_system
        locked.save(update_fields=["filing_system"])
        record_event(AuditAction.UPDATE, user=acting_user, object_type="file_room", object_id=locked.pk,
                     detail={"filing_system": [previous, filing_system]})
    return locked
