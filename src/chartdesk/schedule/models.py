"""The front office: clinics, provider and resource schedules, weekly templates, visit types, blocks,
holidays, appointments, the waitlist and reminders.

Times of day are stored as local wall time (a date and a time) with the clinic's IANA zone: a 9:00
appointment is 9:00 in the clinic whatever the UTC offset that day (see docs/schedule.md). The
instant is computed from the two when it is needed (`Appointment.starts_at`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils import timezone

from chartdesk.charts.models import Encounter, Provider
from chartdesk.patients.models import Patient

USER = settings.AUTH_USER_MODEL


def wall_instant(day: date, at: time, zone: str) -> datetime:
    """The aware instant of a wall-clock time in a zone (the earlier one when a fall-back repeats it)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone))


class Clinic(models.Model):
    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(max_length=64, default="America/New_York", help_text="IANA zone, e.g. America/Chicago")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "clinic"
        permissions = [("manage_schedules", "Set up clinics, schedules, templates, visit types, blocks and holidays")]

    def __str__(self) -> str:
        return self.name


class ScheduleKind(models.TextChoices):
    PROVIDER = "provider", "Provider"
    RESOURCE = "resource", "Room or equipment"


class Schedule(models.Model):
    """One bookable calendar: a provider's, or a resource's (a procedure room, an ultrasound machine)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="schedules")
    kind = models.CharField(max_length=10, choices=ScheduleKind.choices, default=ScheduleKind.PROVIDER)
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="schedules")
    resource_name = models.CharField(max_length=120, blank=True)
    slot_minutes = models.PositiveSmallIntegerField(default=15, help_text="Slots start this often")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic__name", "resource_name", "provider__family_name"]
        verbose_name = "schedule"

    def __str__(self) -> str:
        who = str(self.provider) if self.provider_id else self.resource_name
        return f"{who} ({self.clinic.name})"


class TemplateHours(models.Model):
    """Open hours of a schedule on one weekday (0 = Monday), from `valid_from` until `valid_until`."""

    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="hours")
    weekday = models.PositiveSmallIntegerField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    valid_from = models.DateField(default=date(2000, 1, 1))
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["schedule", "weekday", "start_time"]
        verbose_name = "template hours"
        verbose_name_plural = "template hours"

    def __str__(self) -> str:
        return f"weekday {self.weekday} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class VisitType(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=80)
    minutes = models.PositiveSmallIntegerField()
    double_booking_allowed = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "visit type"

    def __str__(self) -> str:
        return f"{self.name} ({self.minutes} min)"


class BlockKind(models.TextChoices):
    LUNCH = "lunch", "Lunch"
    MEETING = "meeting", "Meeting"
    LEAVE = "leave", "Leave"
    OTHER = "other", "Other"


class Block(models.Model):
    """Time a schedule cannot be booked: weekly (`weekday` set) or from `starts_on` to `ends_on`.

    Without times it covers whole days (leave); with them, that part of each day it covers.
    """

    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="blocks")
    kind = models.CharField(max_length=10, choices=BlockKind.choices)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["schedule", "starts_on", "weekday", "start_time"]
        verbose_name = "block"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.schedule}"

    def covers_day(self, day: date) -> bool:
        if self.weekday is not None:
            return day.weekday() == self.weekday
        return self.starts_on is not None and self.starts_on <= day <= (self.ends_on or self.starts_on)


class Holiday(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="holidays")
    on_date = models.DateField()
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["on_date"]
        verbose_name = "holiday"
        constraints = [models.UniqueConstraint(fields=["clinic", "on_date"], name="one_holiday_per_clinic_day")]

    def __str__(self) -> str:
        return f"{self.name} {self.on_date}"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    CHECKED_IN = "checked_in", "Checked in"
    ROOMED = "roomed", "Roomed"
    CHECKED_OUT = "checked_out", "Checked out"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# Statuses that hold their time on the schedule (a cancelled or missed visit frees it).
HOLDING = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN,
           AppointmentStatus.ROOMED, AppointmentStatus.CHECKED_OUT)


class Appointment(models.Model):
    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    visit_type = models.ForeignKey(VisitType, on_delete=models.PROTECT, related_name="appointments")
    day = models.DateField()
    start_time = models.TimeField()
    minutes = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    note = models.CharField(max_length=200, blank=True, help_text="For staff; never sent to the patient")
    cancel_reason = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=80, blank=True, db_index=True,
                                   help_text="The outside scheduling system's appointment id (SIU, FHIR)")
    encounter = models.OneToOneField(Encounter, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="appointment")
    demographics_confirmed = models.BooleanField(default=False)
    insurance_confirmed = models.BooleanField(default=False)
    forms_signed = models.CharField(max_length=200, blank=True)
    copay_entry = models.ForeignKey("billing.LedgerEntry", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    arrived_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    roomed_at = models.DateTimeField(null=True, blank=True)
    room = models.CharField(max_length=40, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["day", "start_time", "id"]
        verbose_name = "appointment"
        indexes = [models.Index(fields=["schedule", "day"]), models.Index(fields=["day", "status"])]
        permissions = [
            ("book_appointments", "Book, move and cancel appointments; keep the waitlist"),
            ("work_day_sheet", "Arrive, check in, room and check out patients; mark no-shows"),
            ("send_reminders", "Send appointment reminders"),
        ]

    def __str__(self) -> str:
        return f"{self.visit_type.name} {self.day} {self.start_time:%H:%M}"

    @property
    def end_time(self) -> time:
        return (datetime.combine(self.day, self.start_time) + timedelta(minutes=self.minutes)).time()

    @property
    def starts_at(self) -> datetime:
        return wall_instant(self.day, self.start_time, self.schedule.clinic.time_zone)

    @property
    def ends_at(self) -> datetime:
        return wall_instant(self.day, self.end_time, self.schedule.clinic.time_zone)


class TimeOfDay(models.TextChoices):
    ANY = "any", "Any time"
    MORNING = "morning", "Morning (before 12:00)"
    AFTERNOON = "afternoon", "Afternoon (12:00-17:00)"
    EVENING = "evening", "Evening (from 17:00)"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    BOOKED = "booked", "Booked"
    REMOVED = "removed", "Removed"


class WaitlistEntry(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    visit_type = models.ForeignKey(VisitType, on_delete=models.PROTECT, related_name="+")
    schedule = models.ForeignKey(Schedule, null=True, blank=True, on_delete=models.PROTECT, related_name="waitlist")
    earliest = models.DateField()
    latest = models.DateField(null=True, blank=True)
    time_of_day = models.CharField(max_length=10, choices=TimeOfDay.choices, default=TimeOfDay.ANY)
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    appointment = models.ForeignKey(Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "waitlist entry"
        verbose_name_plural = "waitlist entries"

    def __str__(self) -> str:
        return f"waiting for {self.visit_type.name} from {self.earliest}"


class ReminderChannel(models.TextChoices):
    EMAIL = "email", "Email"
    TEXT = "text", "Text message"


class Reminder(models.Model):
    """One reminder sent for one appointment on one channel: the unique constraint makes it once."""

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="reminders")
    channel = models.CharField(max_length=10, choices=ReminderChannel.choices)
    address = models.CharField(max_length=254)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at"]
        verbose_name = "reminder"
        constraints = [models.UniqueConstraint(fields=["appointment", "channel"], name="one_reminder_per_channel")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} reminder for appointment {self.appointment_id}"
