"""SIU (scheduling information unsolicited) from an outside scheduling system, applied through the
schedule app's own actions as the interface account, exactly as a scheduler's clicks would be:

- S12 books (the patient found in the MPI by PID-3, or registered as an ADT A04 would);
- S13 reschedules and S14 modifies: a new time or a new provider/resource schedule moves the visit;
- S15 cancels, with SCH-6 (event reason) or the first NTE as the reason;
- S26 marks a no-show.

The sender is the filler: its appointment id (SCH-2, else the placer's SCH-1) is kept, scoped by its
namespace, as the appointment's outside id, and names the visit in every later event. The booking
rules still hold (open hours, blocks, holidays, clashes): a time they refuse is answered AE naming the
field, and the interface team fixes the template or the mapping. Bookings reported after the fact
(a time already past) are accepted, as a feed reports what happened elsewhere.

Where each thing comes from (first found wins): the schedule from AIP-3 (a provider, by NPI in XCN-1,
else by family and given name, who has a schedule here), else AIL-3 or AIG-3 (a room or equipment
schedule by name); the visit type from SCH-8 (appointment type), SCH-7 (appointment reason) or AIS-3
(service) matched to a visit type code; the start from TQ1-7, SCH-11.4, AIS-4, AIP-6, AIL-6 or AIG-8.
A start without its own UTC offset is read in MSH-7's zone, else as the clinic's wall time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q

from chartdesk.charts.models import Provider
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.interop.hl7v2.parser import Hl7Error, Message, Segment, parse_timestamp
from chartdesk.interop.hl7v2.pid import Applied, find_by_identifier, find_or_register_patient, person_identifiers
from chartdesk.patients.models import Patient
from chartdesk.schedule.actions import do_book_appointment, do_cancel_appointment, do_move_appointment
from chartdesk.schedule.day_sheet import do_mark_no_show
from chartdesk.schedule.models import Appointment, AppointmentStatus, Schedule, ScheduleKind, VisitType

SIU_EVENTS = ("S12", "S13", "S14", "S15", "S26")
NPI_SHAPE = re.compile(r"\d{10}")
# Where a start time may be, in the order they are tried: (segment, field, component).
START_FIELDS = (("TQ1", 7, 1), ("SCH", 11, 4), ("AIS", 4, 1), ("AIP", 6, 1), ("AIL", 6, 1), ("AIG", 8, 1))
VISIT_TYPE_FIELDS = (("SCH", 8), ("SCH", 7), ("AIS", 3))


def _sender(message: Message) -> str:
    return message.msh.component(4, 1) or message.msh.component(3, 1) or "the scheduling feed"


def _refused(refusal: ChartdeskError, segment: str, field_number: int) -> Hl7Error:
    return Hl7Error(refusal.message, segment=segment, field_number=field_number, code="207")


# ----------------------------------------------------------------------------- SCH: which appointment


def outside_id(message: Message) -> str:
    """SCH-2 (filler appointment id), else SCH-1 (placer's), scoped by its namespace or the sender."""
    sch = message.segment("SCH")
    assert sch is not None
    for number in (2, 1):
        value = sch.component(number, 1).strip()
        if value:
            namespace = sch.component(number, 2).strip() or _sender(message)
            return f"{namespace}:{value}"[:80]
    raise Hl7Error("SCH-2 (filler appointment id) is required, or at least SCH-1 (placer appointment id)",
                   segment="SCH", field_number=2, code="101")


def _known_appointment(message: Message, external: str) -> Appointment:
    found = (Appointment.objects.select_related("schedule__clinic", "visit_type", "patient")
             .filter(external_id=external).order_by("-pk").first())
    if found is None:
        raise Hl7Error(f"SCH-2 names no appointment known here ({external}): book it with S12 first",
                       segment="SCH", field_number=2, code="204")
    _same_patient(message, found)
    return found


def _same_patient(message: Message, appointment: Appointment) -> None:
    """A later event whose PID names another chart than the booked one is refused, not applied to it."""
    pid = message.segment("PID", required=False)
    if pid is None:
        return
    named, _ = find_by_identifier(person_identifiers(message, pid))
    if named is None:
        return
    booked: Patient | None = appointment.patient
    surviving = {booked.pk, booked.merged_into_id} if booked is not None else set()
    if named.pk not in surviving:
        raise Hl7Error(f"PID-3 names MRN {named.mrn}, but appointment {outside_id(message)} is booked for "
                       f"MRN {appointment.patient.mrn}; nothing changed", segment="PID", field_number=3, code="204")


# ----------------------------------------------------------------------------- AIP/AIL/AIG: which schedule


def _provider(segment: Segment) -> Provider | None:
    identifier, family, given = (segment.component(3, number).strip() for number in (1, 2, 3))
    if NPI_SHAPE.fullmatch(identifier):
        found = Provider.objects.filter(npi=identifier, active=True).first()
        if found is not None:
            return found
    if not family:
        return None
    named = Provider.objects.filter(family_name__iexact=family, active=True)
    if given:
        named = named.filter(given_name__iexact=given)
    candidates = list(named[:2])
    return candidates[0] if len(candidates) == 1 else None


def _resource_schedule(names: list[str]) -> Schedule | None:
    wanted = Q()
    for name in filter(None, names):
        wanted |= Q(resource_name__iexact=name)
    if not wanted:
        return None
    return (Schedule.objects.select_related("clinic")
            .filter(wanted, kind=ScheduleKind.RESOURCE, active=True).order_by("pk").first())


def named_schedule(message: Message, *, required: bool) -> Schedule | None:
    """The schedule the resource segments name: a provider's (AIP), else a room's (AIL) or equipment's (AIG)."""
    for aip in message.by_name.get("AIP", []):
        provider = _provider(aip)
        if provider is not None:
            schedule = (Schedule.objects.select_related("clinic")
                        .filter(provider=provider, active=True).order_by("pk").first())
            if schedule is not None:
                return schedule
    for ail in message.by_name.get("AIL", []):
        found = _resource_schedule([ail.component(3, 1).strip(), ail.component(3, 2).strip()])
        if found is not None:
            return found
    for aig in message.by_name.get("AIG", []):
        found = _resource_schedule([aig.component(3, 2).strip(), aig.component(3, 1).strip()])
        if found is not None:
            return found
    if not required:
        return None
    where = "AIP" if "AIP" in message.by_name else "AIL" if "AIL" in message.by_name else \
        "AIG" if "AIG" in message.by_name else "AIP"
    said = ", ".join(_said(segment) for name in ("AIP", "AIL", "AIG") for segment in message.by_name.get(name, []))
    raise Hl7Error(f"{where}-3 names no provider, room or equipment with a schedule here"
                   + (f" ({said})" if said else " (no AIP, AIL or AIG segment was sent)"),
                   segment=where, field_number=3, code="204")


def _said(segment: Segment) -> str:
    parts = [segment.component(3, number).strip() for number in (1, 2, 3)]
    return f"{segment.name} {' '.join(part for part in parts if part)}".strip()


# ----------------------------------------------------------------------------- SCH/AIS: which visit type


def _visit_type(message: Message) -> VisitType:
    tried: list[str] = []
    for name, number in VISIT_TYPE_FIELDS:
        for segment in message.by_name.get(name, [])[:1]:
            for component in (1, 2):
                code = segment.component(number, component).strip().upper()
                if not code or len(code) > 20:
                    continue
                tried.append(f"{name}-{number} {code}")
                found = VisitType.objects.filter(code=code, active=True).first()
                if found is not None:
                    return found
    raise Hl7Error("SCH-8 (appointment type) names no active visit type here"
                   + (f" (tried {', '.join(tried)}); add the visit type or map the sender's codes" if tried
                      else "; SCH-8, SCH-7 and AIS-3 are empty"),
                   segment="SCH", field_number=8, code="103")


# ----------------------------------------------------------------------------- TQ1/SCH-11: when


def _start(message: Message, schedule: Schedule, *, required: bool) -> tuple[date, time, tuple[str, int]] | None:
    """The start as the clinic's wall date and time, and the field it came from."""
    clinic_zone = ZoneInfo(schedule.clinic.time_zone)
    for name, number, component in START_FIELDS:
        for segment in message.by_name.get(name, []):
            raw = segment.component(number, component).strip()
            if not raw:
                continue
            moment = parse_timestamp(raw, segment=name, field_number=number, zone=message.zone or clinic_zone)
            if moment is None:
                continue
            if len(raw) < 12:
                raise Hl7Error(f"{name}-{number} {raw!r}: an appointment needs a time of day (YYYYMMDDHHMM)",
                               segment=name, field_number=number, code="102")
            local = moment.astimezone(clinic_zone)
            return local.date(), local.time().replace(second=0, microsecond=0), (name, number)
    if required:
        raise Hl7Error("TQ1-7 (start) is empty, and so are SCH-11, AIS-4, AIP-6, AIL-6 and AIG-8: no time to book",
                       segment="TQ1" if "TQ1" in message.by_name else "SCH",
                       field_number=7 if "TQ1" in message.by_name else 11, code="101")
    return None


def _reason(message: Message, what: str) -> str:
    """What happened and who said so, then the sender's words: SCH-6 (event reason, its text before its
    code), else the first NTE's comment."""
    sch = message.segment("SCH")
    assert sch is not None
    said = sch.component(6, 2).strip() or sch.component(6, 1).strip()
    if not said:
        nte = message.segment("NTE", required=False)
        said = nte.component(3, 1).strip() if nte is not None else ""
    event = message.trigger_event
    return (f"{what} by {_sender(message)} (SIU {event})" + (f": {said}" if said else ""))[:200]


# ----------------------------------------------------------------------------- the events


def _book(message: Message, acting_user: Any) -> Applied:
    external = outside_id(message)
    already = Appointment.objects.filter(external_id=external).exclude(status=AppointmentStatus.CANCELLED).first()
    if already is not None:
        raise Hl7Error(f"appointment {external} is already booked here (for {already.day:%Y-%m-%d} "
                       f"{already.start_time:%H:%M}); send S13 or S14 to change it", segment="SCH", field_number=2,
                       code="205")
    message.segment("PID")  # required for a booking: refused before anything is looked up
    schedule = named_schedule(message, required=True)
    assert schedule is not None
    visit_type = _visit_type(message)
    when = _start(message, schedule, required=True)
    assert when is not None
    day, start, (segment, number) = when
    applied = find_or_register_patient(message, acting_user)
    assert applied.patient is not None
    if applied.patient.deceased_at is not None:
        raise Hl7Error(f"the patient is recorded as deceased ({applied.patient.deceased_at:%Y-%m-%d}): no visit is "
                       "booked", segment="PID", field_number=29, code="207")
    note = f"Booked by {_sender(message)} (SIU S12)"
    try:
        do_book_appointment(applied.patient, schedule=schedule, visit_type=visit_type, day=day, start_time=start,
                            acting_user=acting_user, note=note, external_id=external, allow_past=True)
    except ChartdeskError as refusal:
        raise _refused(refusal, *_blame(refusal, segment, number)) from None
    # First, ahead of what registration noted: the ACK's text has room for one line only.
    applied.notes.insert(0, f"appointment {external} booked: {visit_type.name} on {day:%Y-%m-%d} at {start:%H:%M} "
                         f"({schedule.clinic.time_zone}) with {schedule}")
    return applied


def _blame(refusal: ChartdeskError, segment: str, number: int) -> tuple[str, int]:
    """The HL7 field a schedule action's refusal points back to."""
    field = getattr(refusal, "field", "") or ""
    if field in ("day", "start_time"):
        return segment, number
    if field == "patient":
        return "PID", 3
    if field == "visit_type":
        return "SCH", 8
    if field == "schedule":
        return "AIP", 3
    return "SCH", 2


def _move(message: Message, acting_user: Any, event: str) -> Applied:
    appointment = _known_appointment(message, outside_id(message))
    target = named_schedule(message, required=False) or appointment.schedule
    when = _start(message, target, required=event == "S13")
    if when is None:
        day, start, (segment, number) = appointment.day, appointment.start_time, ("SCH", 11)
    else:
        day, start, (segment, number) = when
    applied = Applied(appointment.patient)
    if (target.pk, day, start) == (appointment.schedule_id, appointment.day, appointment.start_time):
        applied.notes.append(f"appointment {appointment.external_id} already on {day:%Y-%m-%d} at {start:%H:%M} "
                             f"with {target}; nothing changed")
        return applied
    verb = "Rescheduled" if event == "S13" else "Modified"
    try:
        do_move_appointment(appointment, day=day, start_time=start, schedule=target, acting_user=acting_user,
                            reason=_reason(message, verb), allow_past=True)
    except ChartdeskError as refusal:
        raise _refused(refusal, *_blame(refusal, segment, number)) from None
    applied.notes.append(f"appointment {appointment.external_id} moved to {day:%Y-%m-%d} at {start:%H:%M} "
                         f"with {target}")
    return applied


def _end(message: Message, acting_user: Any, *, status: str, done: str,
         act: Callable[[Appointment], Any]) -> Applied:
    """S15 and S26: the visit ends as `status` through `act`; a repeat of what already happened is AA."""
    appointment = _known_appointment(message, outside_id(message))
    applied = Applied(appointment.patient)
    if appointment.status == status:
        applied.notes.append(f"appointment {appointment.external_id} was already {done}; nothing changed")
        return applied
    try:
        act(appointment)
    except ChartdeskError as refusal:
        raise _refused(refusal, "SCH", 25) from None  # SCH-25, the filler's status of the visit
    applied.notes.append(f"appointment {appointment.external_id} {done}")
    return applied


def _cancel(message: Message, acting_user: Any) -> Applied:
    reason = _reason(message, "Cancelled")
    return _end(message, acting_user, status=AppointmentStatus.CANCELLED, done="cancelled",
                act=lambda appointment: do_cancel_appointment(appointment, reason=reason, acting_user=acting_user))


def _no_show(message: Message, acting_user: Any) -> Applied:
    return _end(message, acting_user, status=AppointmentStatus.NO_SHOW, done="marked a no-show",
                act=lambda appointment: do_mark_no_show(appointment, acting_user=acting_user))


EVENT_HANDLERS: dict[str, Callable[[Message, Any], Applied]] = {
    "S12": _book,
    "S13": lambda message, user: _move(message, user, "S13"),
    "S14": lambda message, user: _move(message, user, "S14"),
    "S15": _cancel,
    "S26": _no_show,
}


def apply_siu(message: Message, acting_user: Any) -> Applied:
    """Apply one SIU message; raises Hl7Error (with its segment and field) when it cannot."""
    event = message.trigger_event
    if event not in SIU_EVENTS:
        raise Hl7Error(f"event {event or '(none)'} is not accepted for SIU ({', '.join(SIU_EVENTS)})",
                       segment="MSH", field_number=9, reject=True, code="201")
    message.segment("SCH")
    try:
        return EVENT_HANDLERS[event](message, acting_user)
    except NotFound:
        raise Hl7Error("the patient's chart is restricted: grant the interface account access to it",
                       segment="PID", field_number=3) from None

