"""FHIR R4 Schedule, Slot and Appointment, over the schedule app.

Schedule is directory data (a provider's or a room's calendar). Slot is computed, never stored: its
id says the schedule, the day, the wall time and the length (`<schedule>-<YYYYMMDD>-<HHMM>-<minutes>`)
and a search needs the schedule. Appointment is patient data, read through the schedule app's access
functions and written through its actions: create books (by Slot, or by Practitioner and start),
update cancels (status "cancelled" with cancelationReason) or moves (a new start). Instants carry
the clinic's own UTC offset, so 09:00 in the clinic reads 09:00 whatever the server's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone

from chartdesk.core.errors import ChartdeskError, ConcurrentChange, NotFound
from chartdesk.interop.fhir.common import (
    PREFIXES,
    Adapter,
    DirectoryAdapter,
    SearchError,
    _date_range,
    date_condition,
    local_id,
    meta,
    one_of,
    pruned,
    reference,
    reference_id,
    token_parts,
)
from chartdesk.interop.fhir.validation import FhirInvalid
from chartdesk.interop.registry import register
from chartdesk.patients.access import access_patient_by_id
from chartdesk.schedule import access
from chartdesk.schedule.actions import do_book_appointment, do_cancel_appointment, do_move_appointment
from chartdesk.schedule.models import Appointment, AppointmentStatus, Schedule, VisitType
from chartdesk.schedule.slots import ScheduleRules, Slot, day_slots, slot_visit, taken_by_day

APPOINTMENT_STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.ARRIVED: "arrived",
    AppointmentStatus.CHECKED_IN: "checked-in",
    AppointmentStatus.ROOMED: "checked-in",
    AppointmentStatus.CHECKED_OUT: "fulfilled",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "noshow",
}
STATUSES_OF_CODE: dict[str, list[str]] = {}
for _ours, _code in APPOINTMENT_STATUS.items():
    STATUSES_OF_CODE.setdefault(_code, []).append(_ours)
VISIT_TYPE_SYSTEM = "urn:chartdesk:visit-type"
EXTERNAL_ID_SYSTEM = "urn:chartdesk:outside-appointment-id"
SLOT_SEARCH_DAYS = 31  # one slot search covers at most a month of one schedule


def wall_instant(day: date, at: time, zone: str) -> str:
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).isoformat(timespec="seconds")


def _actor(schedule: Schedule) -> dict[str, Any]:
    if schedule.provider_id:
        return reference("Practitioner", schedule.provider_id, str(schedule.provider))
    return {"display": schedule.resource_name}


def schedule_to_fhir(schedule: Schedule) -> dict[str, Any]:
    return pruned({
        "resourceType": "Schedule",
        "id": str(schedule.pk),
        "active": schedule.active,
        "actor": [_actor(schedule)],
        "comment": f"{schedule.clinic.name} ({schedule.clinic.time_zone})",
    })


def appointment_to_fhir(appointment: Appointment) -> dict[str, Any]:
    zone = appointment.schedule.clinic.time_zone
    participants = [{"actor": reference("Patient", appointment.patient_id), "status": "accepted"}]
    if appointment.schedule.provider_id:
        participants.append({"actor": reference("Practitioner", appointment.schedule.provider_id,
                                                str(appointment.schedule.provider)), "status": "accepted"})
    else:
        participants.append({"actor": {"display": appointment.schedule.resource_name}, "status": "accepted"})
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": str(appointment.pk),
        "meta": meta(str(appointment.revision), None),
        "identifier": ([{"system": EXTERNAL_ID_SYSTEM, "value": appointment.external_id}]
                       if appointment.external_id else []),
        "status": APPOINTMENT_STATUS.get(AppointmentStatus(appointment.status), "booked"),
        "appointmentType": {"coding": [{"system": VISIT_TYPE_SYSTEM, "code": appointment.visit_type.code,
                                        "display": appointment.visit_type.name}]},
        "start": wall_instant(appointment.day, appointment.start_time, zone),
        "end": wall_instant(appointment.day, appointment.end_time, zone),
        "minutesDuration": appointment.minutes,
        "created": appointment.created_at.isoformat(timespec="seconds"),
        "participant": participants,
    }
    if appointment.status == AppointmentStatus.CANCELLED and appointment.cancel_reason:
        resource["cancelationReason"] = {"text": appointment.cancel_reason}
    return pruned(resource)


def slot_id(slot: Slot) -> str:
    return f"{slot.schedule.pk}-{slot.day:%Y%m%d}-{slot.start:%H%M}-{slot.minutes}"


def slot_to_fhir(slot: Slot) -> dict[str, Any]:
    zone = slot.schedule.clinic.time_zone
    return {"resourceType": "Slot", "id": slot_id(slot), "schedule": reference("Schedule", slot.schedule.pk),
            "status": "free" if slot.free else "busy", "start": wall_instant(slot.day, slot.start, zone),
            "end": wall_instant(slot.day, slot.end, zone)}


def parse_slot_id(raw: str) -> tuple[int, date, time, int]:
    try:
        schedule, day, start, minutes = raw.split("-")
        return (int(schedule), date(int(day[:4]), int(day[4:6]), int(day[6:8])),
                time(int(start[:2]), int(start[2:])), int(minutes))
    except (ValueError, IndexError):
        raise NotFound("slot") from None


@register
class ScheduleAdapter(DirectoryAdapter):
    resource_type = "Schedule"
    search_params = {"_id": "token", "actor": "reference", "active": "token"}
    model = Schedule
    what = "schedule"

    def to_fhir(self, row: Schedule) -> dict[str, Any]:
        return schedule_to_fhir(row)

    def narrow(self, found: QuerySet[Any], params: dict[str, list[str]]) -> QuerySet[Any]:
        found = found.select_related("clinic", "provider")
        for raw in params.get("actor", []):
            found = found.filter(provider_id__in=[reference_id(value, "Practitioner", "actor")
                                                  for value in one_of([raw])])
        for raw in params.get("active", []):
            found = found.filter(active=raw == "true")
        return found


@dataclass
class SlotRows:
    """Computed slots in the shape a search pages through (count and slicing, as a QuerySet)."""

    slots: list[Slot]

    def count(self) -> int:
        return len(self.slots)

    def __getitem__(self, index: slice) -> list[Slot]:
        return self.slots[index]


@register
class SlotAdapter(Adapter):
    resource_type = "Slot"
    search_params = {"schedule": "reference", "start": "date", "status": "token"}
    patient_data = False

    def patient_id_of(self, row: Any) -> None:
        return None

    def read(self, caller: Any, logical_id: str) -> Slot:
        schedule_pk, day, start, minutes = parse_slot_id(logical_id)
        schedule = Schedule.objects.select_related("clinic").filter(pk=schedule_pk).first()
        if schedule is None:
            raise NotFound("slot")
        for slot in day_slots(ScheduleRules.load(schedule), day, slot_visit(minutes)):
            if slot.start == start:
                return slot
        raise NotFound("slot")

    def to_fhir(self, row: Slot) -> dict[str, Any]:
        return slot_to_fhir(row)

    def search(self, caller: Any, params: dict[str, list[str]], patient: Any) -> Any:
        named = one_of(params.get("schedule", []))
        if len(named) > 1:
            raise SearchError("schedule", "schedule: name one schedule (schedule=Schedule/<id>).")
        span = _day_span(params.get("start", []))
        # Slots belong to one schedule: a search that names none (or an unknown one) finds none.
        schedule = Schedule.objects.select_related("clinic").filter(
            pk=reference_id(named[0], "Schedule", "schedule")).first() if named else None
        if schedule is None or span is None:
            return SlotRows([])
        first, last = span
        wanted = {token_parts(value)[1] for value in one_of(params.get("status", []))}
        if wanted - {"free", "busy"}:
            raise SearchError("status", "status: slots here are free or busy.")
        rules = ScheduleRules.load(schedule)
        held = taken_by_day([schedule.pk], first, last)
        visit = slot_visit(schedule.slot_minutes)
        found: list[Slot] = []
        day: date | None = first
        while day is not None and day <= last:
            found += [slot for slot in day_slots(rules, day, visit, held.get((schedule.pk, day), []))
                      if not wanted or ("free" if slot.free else "busy") in wanted]
            day = _shifted(day, 1)
        return SlotRows(found)


def _day_span(values: list[str]) -> tuple[date, date] | None:
    """The days `start` asks for (FHIR date values with prefixes), cut to SLOT_SEARCH_DAYS from the
    first; None when they hold no day. Without a value: the coming week."""
    first, last = date.min, date.max
    for raw in values:
        prefix = raw[:2] if raw[:2] in PREFIXES else "eq"
        value = raw[2:] if raw[:2] in PREFIXES else raw
        if prefix not in ("eq", "gt", "lt", "ge", "le"):
            raise SearchError("start", f"start: the prefix {prefix!r} is not supported (eq, gt, lt, ge, le).")
        low, high = (moment.date() for moment in _date_range(value, "start"))
        if prefix in ("eq", "ge"):
            first = max(first, low)
        if prefix == "gt":
            first = max(first, _shifted(high, 1) or date.max)
        if prefix in ("eq", "le"):
            last = min(last, high)
        if prefix == "lt":
            last = min(last, _shifted(low, -1) or date.min)
    if not values:
        first = timezone.localdate()
        last = first + timedelta(days=6)
    if first == date.min:
        first = (_shifted(last, -(SLOT_SEARCH_DAYS - 1)) or date.min) if last < date.max else timezone.localdate()
    if last < first:
        return None
    if (last - first).days >= SLOT_SEARCH_DAYS:
        last = _shifted(first, SLOT_SEARCH_DAYS - 1) or date.max
    return first, last


def _shifted(day: date, days: int) -> date | None:
    """`day` moved by `days`, or None past the ends of the calendar (years 1 and 9999)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


def _reference_of(resource: dict[str, Any], kind: str) -> int | None:
    for participant in resource.get("participant", []):
        ref = (participant.get("actor") or {}).get("reference", "")
        if ref.startswith(f"{kind}/"):
            try:
                return reference_id(ref, kind, "participant")
            except SearchError:
                raise FhirInvalid([("Appointment.participant", f"{ref!r} is not a {kind} reference")]) from None
    return None


def _wall_time(raw: Any, zone: str) -> tuple[date, time]:
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise FhirInvalid([("Appointment.start", "must be an instant")]) from None
    if moment.tzinfo is None:
        raise FhirInvalid([("Appointment.start", "must carry a time zone")])
    local = moment.astimezone(ZoneInfo(zone))
    return local.date(), local.time().replace(second=0, microsecond=0)


def _booking_element(resource: dict[str, Any], field: str | None) -> str | None:
    """The Appointment element behind a booking refusal's field; None for a field it does not name."""
    when = "Appointment.slot" if resource.get("slot") else "Appointment.start"
    return {"day": when, "start_time": when, "schedule": "Appointment.slot" if resource.get("slot")
            else "Appointment.participant", "patient": "Appointment.participant",
            "visit_type": "Appointment.appointmentType", "external_id": "Appointment.identifier"}.get(field or "")


@register
class AppointmentAdapter(Adapter):
    resource_type = "Appointment"
    search_params = {"patient": "reference", "date": "date", "actor": "reference", "status": "token"}
    needs_patient = True
    searchable_without_patient = ("actor", "date")
    include_patient = True

    def read(self, caller: Any, logical_id: str) -> Appointment:
        return access.access_appointment_by_id(caller.user, local_id(logical_id, "appointment"))

    def to_fhir(self, row: Appointment) -> dict[str, Any]:
        return appointment_to_fhir(row)

    def version_of(self, row: Appointment) -> str:
        return str(row.revision)

    def search(self, caller: Any, params: dict[str, list[str]], patient: Any) -> QuerySet[Any]:
        if not access.may_read_schedules(caller.user):
            raise NotFound("appointment")
        found = access.visible_appointments(caller.user)
        if patient is not None:
            found = found.filter(patient=patient)
        for raw in params.get("date", []):
            found = found.filter(date_condition("day", raw, "date", date_only=True))
        for raw in params.get("actor", []):
            condition = Q()
            for value in one_of([raw]):
                kind = value.strip().rpartition("/")[0].rpartition("/")[2] or "Practitioner"
                if kind == "Patient":
                    condition |= Q(patient_id=reference_id(value, "Patient", "actor"))
                elif kind == "Schedule":
                    condition |= Q(schedule_id=reference_id(value, "Schedule", "actor"))
                else:
                    condition |= Q(schedule__provider_id=reference_id(value, "Practitioner", "actor"))
            found = found.filter(condition)
        for raw in params.get("status", []):
            codes = [token_parts(value)[1] for value in one_of([raw])]
            unknown = [code for code in codes if code not in STATUSES_OF_CODE]
            if unknown:
                raise SearchError("status", f"status: {unknown[0]!r} is not one of {', '.join(STATUSES_OF_CODE)}.")
            found = found.filter(status__in=[ours for code in codes for ours in STATUSES_OF_CODE[code]])
        return found.order_by("day", "start_time", "pk")

    def rows_for_patient(self, caller: Any, patient: Any) -> QuerySet[Any] | None:
        if not access.may_read_schedules(caller.user):
            raise NotFound("appointment")
        return access.visible_appointments(caller.user).filter(patient=patient).order_by("pk")

    def create(self, caller: Any, resource: dict[str, Any]) -> Appointment:
        if resource.get("status") not in ("booked", "proposed", "pending"):
            raise FhirInvalid([("Appointment.status", "a new appointment is booked")])
        patient_pk = _reference_of(resource, "Patient")
        if patient_pk is None:
            raise FhirInvalid([("Appointment.participant", "name the patient (actor Patient/<id>)")])
        patient = access_patient_by_id(caller.user, patient_pk)
        codes = [coding.get("code", "") for coding in (resource.get("appointmentType") or {}).get("coding", [])]
        visit_type = VisitType.objects.filter(code__in=[code.upper() for code in codes], active=True).first()
        if visit_type is None:
            raise FhirInvalid([("Appointment.appointmentType", "give an active visit type code "
                                                               f"({VISIT_TYPE_SYSTEM})")])
        schedule, day, start = self._where(resource)
        external = next((item.get("value", "") for item in resource.get("identifier", [])
                         if item.get("system") == EXTERNAL_ID_SYSTEM), "")
        try:
            return do_book_appointment(patient, schedule=schedule, visit_type=visit_type, day=day, start_time=start,
                                       acting_user=caller.user, external_id=external)
        except ChartdeskError as refusal:
            element = _booking_element(resource, refusal.field)
            if element is None or type(refusal) is not ChartdeskError:
                raise
            # The booking rules name the desk form's fields (start_time); an API client needs the element
            # of its own resource that carried the value.
            raise ChartdeskError(refusal.message, field=element) from None

    def _where(self, resource: dict[str, Any]) -> tuple[Schedule, date, time]:
        slots = resource.get("slot") or []
        if slots:
            try:
                schedule_pk, day, start, _ = parse_slot_id(str(slots[0].get("reference", "")).rpartition("/")[2])
            except NotFound:
                # A Slot id from another server (SMART Scheduling Links publishes "Slot/20") names no
                # slot here: the body is wrong, not the URL, so 400 naming the element rather than 404.
                raise FhirInvalid([("Appointment.slot", "not a slot of this server (Slot/<schedule>-"
                                                        "<YYYYMMDD>-<HHMM>-<minutes>)")]) from None
            schedule = Schedule.objects.select_related("clinic").filter(pk=schedule_pk, active=True).first()
            if schedule is None:
                raise FhirInvalid([("Appointment.slot", "names no schedule that takes bookings")])
            return schedule, day, start
        provider_pk = _reference_of(resource, "Practitioner")
        schedule = (Schedule.objects.select_related("clinic").filter(provider_id=provider_pk, active=True)
                    .order_by("pk").first() if provider_pk is not None else None)
        if schedule is None:
            raise FhirInvalid([("Appointment.participant", "name a Slot, or a Practitioner with a schedule")])
        if "start" not in resource:
            raise FhirInvalid([("Appointment.start", "give the start (or a Slot)")])
        day, start = _wall_time(resource["start"], schedule.clinic.time_zone)
        return schedule, day, start

    def update(self, caller: Any, row: Appointment, resource: dict[str, Any], expected_version: int) -> Appointment:
        if row.revision != expected_version:
            raise ConcurrentChange("This appointment was changed by someone else; read it again.")
        current = appointment_to_fhir(row)
        if resource.get("status") == "cancelled" and current["status"] != "cancelled":
            reason = (resource.get("cancelationReason") or {}).get("text", "")
            return do_cancel_appointment(row, reason=reason, acting_user=caller.user,
                                         expected_revision=expected_version)
        if resource.get("start") and resource["start"] != current["start"]:
            day, start = _wall_time(resource["start"], row.schedule.clinic.time_zone)
            return do_move_appointment(row, day=day, start_time=start, reason="Moved through the FHIR API",
                                       acting_user=caller.user, expected_revision=expected_version)
        raise ChartdeskError("An appointment changes through the API by cancelling it (status cancelled with "
                             "cancelationReason) or by a new start.")
