"""Reminders of charts to complete and delinquency notices: one digest per person per run, by email
through Django's email framework (settings.EMAIL_BACKEND) and always in-app.

`chartdesk completion send-reminders` (cron) runs `do_send_completion_notices`: it marks records
delinquent, then sends each provider ONE digest of their outstanding deficiencies by age when at
least one of them reached a step of the reminder schedule, then tells HIM (every active user who
holds completion.manage_deficiencies) of the records that became delinquent. It is idempotent: a
reminder step of a deficiency is recorded once (DeficiencyReminder is unique per deficiency and
step) and a record's delinquency once (DelinquencyAlert); a second run finds nothing new to send.

Minimum necessary: an email leaves the system (forwarded, read on a phone, kept by a mail provider),
so it carries the medical record number and counts only: how many deficiencies each record has,
how old the oldest is, whether the record is delinquent. No name, no date of birth or service, no
document type (an "operative report missing" tells that the patient had surgery), no diagnosis. The
MRN is needed to recognise the work and means nothing outside without signing in. The in-app
notice (behind the log-in, with the queue that is audited) shows the date sent; the queue shows
the rest. Every digest is written to the audit trail of each patient it names.

Delivery: the digest is recorded first and emailed when that commits (a rolled-back run emails
nothing; a concurrent run's duplicate hits the unique rows and sends nothing). An email that fails
is logged and noted on the notice, which the recipient still sees in-app; it is not retried, since
its reminders are recorded as sent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from chartdesk.audit.actions import PendingEvent, record_events
from chartdesk.audit.models import AuditAction
from chartdesk.completion.actions import MANAGE_DEFICIENCIES, do_update_delinquency
from chartdesk.completion.analysis import SYSTEM_ACTOR
from chartdesk.completion.models import (
    OUTSTANDING,
    ChartCompletion,
    ChartStatus,
    CompletionNotice,
    CompletionPolicy,
    Deficiency,
    DeficiencyReminder,
    DelinquencyAlert,
    NoticeKind,
)
from chartdesk.core.permissions import require_permission
from chartdesk.patients.access import restriction_allows

log = logging.getLogger(__name__)

# Permission checks of the recipients go through Django's model backend (axes sits first in the list).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@dataclass(frozen=True)
class RecordLine:
    """One record in a digest: what minimum-necessary lets an email say about it."""

    mrn: str
    deficiencies: int
    oldest_days: int
    delinquent: bool
    owed_by: str = ""  # the providers who owe it (HIM's notice only; staff, not patient data)
    patient: Any = None  # not printed: whose record it is, for the restriction check and the audit


def _shown_to(recipient: Any, lines: list[RecordLine]) -> tuple[list[RecordLine], list[RecordLine]]:
    """The lines of charts the recipient may open, and the rest: a restricted chart's MRN is not
    emailed to someone who could not open it (the queue leaves it out for them too)."""
    allowed: dict[int, bool] = {}
    shown: list[RecordLine] = []
    hidden: list[RecordLine] = []
    for line in lines:
        if line.patient.pk not in allowed:
            allowed[line.patient.pk] = restriction_allows(recipient, line.patient)
        (shown if allowed[line.patient.pk] else hidden).append(line)
    return shown, hidden


@dataclass
class NoticeRun:
    """What one run did."""

    reminders: int = 0  # deficiency reminder steps recorded
    digests: int = 0  # provider digests
    delinquency_notices: int = 0  # HIM notices
    newly_delinquent: int = 0  # records HIM was told about
    emailed: int = 0
    in_app_only: int = 0
    notices: list[CompletionNotice] = field(default_factory=list)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _due_steps(now: datetime, schedule: list[int]) -> dict[int, list[tuple[Deficiency, int]]]:
    """Per provider, the outstanding deficiencies whose age reached a step not yet reminded, with the
    latest such step: a day-3 reminder on day 10 would only be noise."""
    due: dict[int, list[tuple[Deficiency, int]]] = defaultdict(list)
    outstanding = (Deficiency.objects.filter(status__in=OUTSTANDING, provider__isnull=False)
                   .select_related("provider__user").prefetch_related("reminders"))
    for deficiency in outstanding:
        age = (now - deficiency.opened_at).days
        reached = [step for step in schedule if step <= age]
        if not reached:
            continue
        step = reached[-1]
        if any(reminder.age_days >= step for reminder in deficiency.reminders.all()):
            continue
        assert deficiency.provider_id is not None
        due[deficiency.provider_id].append((deficiency, step))
    return due


def _record_lines(deficiencies: list[Deficiency], now: datetime, delinquent: set[int]) -> list[RecordLine]:
    by_record: dict[int, list[Deficiency]] = defaultdict(list)
    for deficiency in deficiencies:
        by_record[deficiency.encounter_id].append(deficiency)
    lines = [
        RecordLine(mrn=found[0].patient.mrn, deficiencies=len(found),
                   oldest_days=max(d.age_days(now) for d in found),
                   delinquent=encounter_id in delinquent, patient=found[0].patient)
        for encounter_id, found in by_record.items()
    ]
    return sorted(lines, key=lambda line: (-line.oldest_days, line.mrn))


def _email_of(user: Any) -> str:
    return (getattr(user, "email", "") or "").strip()


def _record_notice(kind: str, recipient: Any, subject: str, body: str, patients: dict[int, Any], *,
                   records: int, deficiencies: int, now: datetime, acting_user: Any, provider: Any = None
                   ) -> CompletionNotice:
    """Write the notice and its audit events (one per patient named); email it when this commits."""
    address = _email_of(recipient)
    notice = CompletionNotice.objects.create(
        kind=kind, recipient=recipient, provider=provider, sent_at=now, emailed_to=address, subject=subject[:200],
        body=body, records=records, deficiencies=deficiencies)
    record_events(
        [PendingEvent(AuditAction.CREATE, user=acting_user, username="" if acting_user else SYSTEM_ACTOR,
                      patient=patient, object_type="completion_notice", object_id=notice.pk,
                      detail={"kind": kind, "recipient": recipient.get_username(), "emailed": bool(address)})
         for patient in patients.values()]
    )
    if address:
        transaction.on_commit(lambda: _email(notice))
    return notice


def _email(notice: CompletionNotice) -> None:
    try:
        send_mail(notice.subject, notice.body, None, [notice.emailed_to], fail_silently=False)
    except Exception as problem:  # any transport failure: the in-app notice stands, HIM sees why
        log.warning("completion notice %s to %s not emailed: %s", notice.pk, notice.emailed_to, problem)
        CompletionNotice.objects.filter(pk=notice.pk).update(email_problem=str(problem)[:300] or "not sent")


def _delinquent_encounters(encounter_ids: set[int]) -> set[int]:
    return set(ChartCompletion.objects.filter(encounter_id__in=encounter_ids, status=ChartStatus.DELINQUENT)
               .values_list("encounter_id", flat=True))


def _send_provider_digest(provider_id: int, steps: list[tuple[Deficiency, int]], now: datetime, acting_user: Any,
                          run: NoticeRun) -> None:
    first = steps[0][0]
    provider = first.provider
    recipient = getattr(provider, "user", None) if provider is not None else None
    if recipient is None or not recipient.is_active:
        return  # nobody to tell: the steps stay unsent until the provider has an active account
    open_now = list(Deficiency.objects.filter(provider_id=provider_id, status__in=OUTSTANDING)
                    .select_related("patient", "encounter"))
    delinquent = _delinquent_encounters({d.encounter_id for d in open_now})
    lines, hidden = _shown_to(recipient, _record_lines(open_now, now, delinquent))
    records = len(lines) + len(hidden)
    subject = (f"Chartdesk: {_plural(records, 'record', 'records')} to complete "
               f"({_plural(len(open_now), 'deficiency', 'deficiencies')})")
    body = render_to_string("completion/email/reminder.txt", {
        "provider": provider, "lines": lines, "deficiencies": len(open_now), "records": records,
        "delinquent": sum(1 for line in lines + hidden if line.delinquent),
        "restricted": sum(line.deficiencies for line in hidden)})
    try:
        with transaction.atomic():
            notice = _record_notice(NoticeKind.REMINDER, recipient, subject, body,
                                    {line.patient.pk: line.patient for line in lines}, records=records,
                                    deficiencies=len(open_now), now=now, acting_user=acting_user, provider=provider)
            DeficiencyReminder.objects.bulk_create([
                DeficiencyReminder(deficiency=deficiency, provider_id=provider_id, age_days=step, sent_at=now,
                                   notice=notice)
                for deficiency, step in steps])
            Deficiency.objects.filter(pk__in=[d.pk for d, _ in steps]).update(reminders_sent=F("reminders_sent") + 1)
    except IntegrityError:
        # Another run recorded these steps first (one_reminder_per_step): it sends the digest, not us.
        log.warning("reminders for provider %s already recorded by another run", provider_id)
        return
    run.reminders += len(steps)
    run.digests += 1
    run.notices.append(notice)
    if notice.emailed_to:
        run.emailed += 1
    else:
        run.in_app_only += 1


def do_send_reminders(*, acting_user: Any = None, now: datetime | None = None) -> NoticeRun:
    """Send each provider with deficiencies that reached a reminder step one digest of all their
    outstanding deficiencies by age (email and in-app); record each step once."""
    if acting_user is not None:  # None is the scheduled run
        require_permission(acting_user, MANAGE_DEFICIENCIES, "send completion reminders")
    now = now or timezone.now()
    run = NoticeRun()
    schedule = CompletionPolicy.current().reminder_schedule()
    if not schedule:
        return run
    for provider_id, steps in _due_steps(now, schedule).items():
        _send_provider_digest(provider_id, steps, now, acting_user, run)
    return run


def him_recipients() -> list[Any]:
    """The active users who manage deficiencies (the HIM manager role), in user-name order."""
    users = get_user_model().objects.with_perm(MANAGE_DEFICIENCIES, is_active=True, include_superusers=False,
                                               backend=MODEL_BACKEND)
    return list(users.order_by("username"))


def _delinquency_lines(completions: list[ChartCompletion], now: datetime) -> tuple[list[RecordLine], int]:
    owed: dict[int, list[Deficiency]] = defaultdict(list)
    for deficiency in Deficiency.objects.filter(
        encounter_id__in=[c.encounter_id for c in completions], status__in=OUTSTANDING
    ).select_related("provider", "encounter"):
        owed[deficiency.encounter_id].append(deficiency)
    lines = []
    for completion in completions:
        found = owed[completion.encounter_id]
        providers = sorted({str(d.provider) for d in found if d.provider is not None})
        lines.append(RecordLine(
            mrn=completion.patient.mrn, deficiencies=len(found),
            oldest_days=max((d.age_days(now) for d in found), default=0), delinquent=True,
            owed_by="; ".join(providers) or "no provider assigned", patient=completion.patient))
    lines.sort(key=lambda line: (-line.oldest_days, line.mrn))
    return lines, sum(line.deficiencies for line in lines)


def do_send_delinquency_notices(*, acting_user: Any = None, now: datetime | None = None) -> NoticeRun:
    """Tell every HIM manager, in one digest each, of the records that became delinquent since the last
    notice; each record is announced once."""
    if acting_user is not None:  # None is the scheduled run
        require_permission(acting_user, MANAGE_DEFICIENCIES, "send completion reminders")
    now = now or timezone.now()
    run = NoticeRun()
    recipients = him_recipients()
    if not recipients:
        return run  # nobody to tell: the records wait for the next run
    try:
        with transaction.atomic():
            fresh = list(ChartCompletion.objects.filter(status=ChartStatus.DELINQUENT, delinquency_alert__isnull=True)
                         .select_related("patient").order_by("delinquent_since", "encounter_id"))
            if not fresh:
                return run
            DelinquencyAlert.objects.bulk_create([DelinquencyAlert(completion=c, sent_at=now) for c in fresh])
            lines, deficiencies = _delinquency_lines(fresh, now)
            total = ChartCompletion.objects.filter(status=ChartStatus.DELINQUENT).count()
            subject = f"Chartdesk: {_plural(len(fresh), 'record', 'records')} became delinquent"
            for recipient in recipients:
                shown, hidden = _shown_to(recipient, lines)
                body = render_to_string("completion/email/delinquency.txt", {
                    "lines": shown, "records": len(fresh), "total": total, "restricted": len(hidden)})
                patients = {line.patient.pk: line.patient for line in shown}
                notice = _record_notice(NoticeKind.DELINQUENCY, recipient, subject, body, patients,
                                        records=len(fresh), deficiencies=deficiencies, now=now,
                                        acting_user=acting_user)
                run.notices.append(notice)
                run.delinquency_notices += 1
                if notice.emailed_to:
                    run.emailed += 1
                else:
                    run.in_app_only += 1
    except IntegrityError:
        # Another run announced these records first (one alert per record).
        log.warning("delinquency already announced by another run")
        return NoticeRun()
    run.newly_delinquent = len(fresh)
    return run


def do_send_completion_notices(*, acting_user: Any = None, now: datetime | None = None) -> NoticeRun:
    """The scheduled run: mark records delinquent, send provider digests, then HIM's delinquency notice."""
    if acting_user is not None:  # None is the scheduled run
        require_permission(acting_user, MANAGE_DEFICIENCIES, "send completion reminders")
    now = now or timezone.now()
    do_update_delinquency(acting_user=acting_user, now=now)
    reminders = do_send_reminders(acting_user=acting_user, now=now)
    delinquency = do_send_delinquency_notices(acting_user=acting_user, now=now)
    return NoticeRun(
        reminders=reminders.reminders, digests=reminders.digests,
        delinquency_notices=delinquency.delinquency_notices, newly_delinquent=delinquency.newly_delinquent,
        emailed=reminders.emailed + delinquency.emailed, in_app_only=reminders.in_app_only + delinquency.in_app_only,
        notices=reminders.notices + delinquency.notices,
    )


def latest_notices_for(user: Any, *, limit: int = 5) -> list[CompletionNotice]:
    """The signed-in user's own most recent notices (counts and the date sent; no patient data shown)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(CompletionNotice.objects.filter(recipient=user).order_by("-sent_at", "-id")[:limit])
