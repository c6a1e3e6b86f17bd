"""Appointment reminders: email through Django's mail settings; text messages through a gateway hook.

Each appointment gets at most one reminder per channel: a Reminder row (unique per appointment and
channel) is written with its audit event first, and the message goes out when that commits, so a
second run, or two runs at once, send nothing twice.

Wording: a reminder leaves the system (read on a lock screen, kept by a mail provider), so it says
only where and when, and whom to call: the clinic, the day and time in the clinic's zone, the
provider's name. Never the visit type, the staff note or anything from the chart, which can tell a
diagnosis ("Chemotherapy", "Prenatal visit"). `reminder_text` is the one place that writes it.

Text messages: set CHARTDESK_TEXT_GATEWAY to the dotted path of a callable `send(number, message)`
(the site's SMS provider's client); unset, reminders go by email only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.permissions import require_permission
from chartdesk.schedule.models import Appointment, AppointmentStatus, Reminder, ReminderChannel

log = logging.getLogger(__name__)

SUBJECT = "Appointment reminder"


def reminder_text(appointment: Appointment) -> str:
    """The patient-facing reminder: place, day, time and provider; nothing clinical."""
    starts = appointment.starts_at
    schedule = appointment.schedule
    with_whom = ""
    if schedule.provider is not None:
        with_whom = f" with {schedule.provider.given_name} {schedule.provider.family_name}"
    return (
        f"Hello {appointment.patient.given_name},\n\n"
        f"This is a reminder of your appointment at {schedule.clinic.name}{with_whom} "
        f"on {starts:%A, %B} {starts.day}, {starts.year} at {starts:%H:%M} ({starts:%Z}).\n\n"
        "Please bring your insurance card and arrive 15 minutes early. "
        "To cancel or change the appointment, please call the clinic.\n"
    )


def text_gateway() -> Callable[[str, str], Any] | None:
    path = getattr(settings, "TEXT_GATEWAY", "")
    return import_string(path) if path else None


@dataclass
class ReminderRun:
    sent: int = 0
    already_sent: int = 0
    no_address: int = 0


def _mobile_number(appointment: Appointment) -> str:
    phone = appointment.patient.phones.filter(active=True, use="mobile").order_by("pk").first()
    return phone.number if phone else ""


def _record(appointment: Appointment, channel: str, address: str, acting_user: Any) -> Reminder | None:
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(appointment=appointment, channel=channel, address=address)
            record_event(AuditAction.EXPORT, user=acting_user, patient=appointment.patient, object_type="reminder",
                         object_id=reminder.pk, detail={"appointment_id": appointment.pk, "channel": channel})
    except IntegrityError:  # another run recorded it first: that run sends it
        return None
    return reminder


def _send_email(address: str, body: str) -> None:
    try:
        send_mail(SUBJECT, body, None, [address], fail_silently=False)
    except Exception as problem:  # any transport failure: logged; the reminder is recorded as sent once
        log.warning("appointment reminder to %s not emailed: %s", address, problem)


def _send_text(gateway: Callable[[str, str], Any], number: str, body: str) -> None:
    try:
        gateway(number, body)
    except Exception as problem:  # the gateway is the site's own code; a failure must not stop the run
        log.warning("appointment reminder to %s not texted: %s", number, problem)


def do_send_reminders(day: date, *, acting_user: Any) -> ReminderRun:
    """Remind every patient booked on `day` (by email, and by text when a gateway is set), once each."""
    require_permission(acting_user, "schedule.send_reminders", "send appointment reminders")
    gateway = text_gateway()
    run = ReminderRun()
    appointments = (Appointment.objects.filter(day=day, status=AppointmentStatus.BOOKED)
                    .select_related("patient", "schedule__clinic", "schedule__provider"))
    for appointment in appointments:
        body = reminder_text(appointment)
        sent_any = False
        wanted = [(ReminderChannel.EMAIL, appointment.patient.email)]
        if gateway is not None:
            wanted.append((ReminderChannel.TEXT, _mobile_number(appointment)))
        if not any(address for _, address in wanted):
            run.no_address += 1
            continue
        for channel, address in wanted:
            if not address:
                continue
            if Reminder.objects.filter(appointment=appointment, channel=channel).exists():
                run.already_sent += 1
                continue
            with transaction.atomic():
                if _record(appointment, channel, address, acting_user) is None:
                    run.already_sent += 1
                    continue
                if channel == ReminderChannel.EMAIL:
                    transaction.on_commit(partial(_send_email, address, body))
                elif gateway is not None:
                    transaction.on_commit(partial(_send_text, gateway, address, body))
                sent_any = True
        run.sent += int(sent_any)
    return run
