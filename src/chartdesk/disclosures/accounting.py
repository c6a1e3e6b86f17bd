"""Accounting of disclosures (45 CFR 164.528): recorded when they happen, reported on request.

The accounting covers the six years before the request, leaves out the exempt disclosures
(treatment, payment, operations, to the patient, under an authorization, national security,
correctional, limited data set), and leaves out disclosures to an agency that has asked for a
temporary suspension while that suspension lasts. It is due within 60 days (one 30-day extension);
the first accounting in any 12 months is free.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.permissions import require_permission
from chartdesk.disclosures import deadlines
from chartdesk.disclosures.actions import audit, require_chart
from chartdesk.disclosures.models import (
    EXEMPT_BASES,
    AccountingRequest,
    AccountingStatus,
    AccountingSuspension,
    Disclosure,
    LegalBasis,
)
from chartdesk.patients.models import Patient

MANAGE = "disclosures.manage_accounting"
WORK = "disclosures.work_requests"
ORAL_SUSPENSION_DAYS = 30  # 164.528(a)(2)(ii)(C): an oral statement suspends for 30 days at most
LOOKBACK_YEARS = 6
DEFAULT_REPEAT_FEE_CENTS = 1000

ORAL_TOO_LONG = ("An agency's oral statement suspends the accounting for at most 30 days (until {last:%Y-%m-%d}); "
                 "ask for the statement in writing to suspend it longer.")
ENDS_BEFORE_START = "The suspension ends ({end:%Y-%m-%d}) before it starts ({start:%Y-%m-%d})."
REQUIRED = "Give the {what}."
BASIS_UNKNOWN = "Choose the legal basis of the disclosure from the list."
ALREADY_PROVIDED = "This accounting was already provided on {when:%Y-%m-%d}."
DISCLOSED_IN_FUTURE = "The disclosure date is in the future."


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def suspended_agencies(patient: Patient, as_of: date) -> list[AccountingSuspension]:
    return list(AccountingSuspension.objects.filter(patient=patient, starts_on__lte=as_of, ends_on__gte=as_of))


def _same_agency(recipient: str, agency: str) -> bool:
    return " ".join(recipient.lower().split()) == " ".join(agency.lower().split())


def accounting_entries(patient: Patient, as_of: date) -> list[Disclosure]:
    """The disclosures the patient's accounting lists on `as_of`, oldest first (pure read, no audit)."""
    since = _start_of(years_before(as_of, LOOKBACK_YEARS))
    until = _start_of(as_of + timedelta(days=1))
    disclosures = Disclosure.objects.filter(
        patient=patient, accountable=True, disclosed_at__gte=since, disclosed_at__lt=until
    ).order_by("disclosed_at", "id")
    suspensions = suspended_agencies(patient, as_of)
    return [
        disclosure for disclosure in disclosures
        if not any(_same_agency(disclosure.recipient_name, suspension.agency_name) for suspension in suspensions)
    ]


def entry_row(disclosure: Disclosure) -> dict[str, Any]:
    """What 164.528(b)(2) requires each entry to say."""
    return {
        "date": f"{timezone.localtime(disclosure.disclosed_at):%Y-%m-%d}",
        "recipient": disclosure.recipient_name,
        "address": disclosure.recipient_address,
        "description": disclosure.description,
        "purpose": disclosure.purpose,
    }


def disclosure_confirmation(disclosure: Disclosure) -> str:
    """What the desk says once a disclosure is recorded: to whom, when, and whether the accounting lists it."""
    listed = ("it will be listed in the patient's accounting of disclosures" if disclosure.accountable else
              f"it is not listed in the accounting ({disclosure.get_legal_basis_display().lower()})")
    return (f"Disclosure to {disclosure.recipient_name} on {timezone.localtime(disclosure.disclosed_at):%Y-%m-%d} "
            f"recorded: {listed}.")


def do_record_disclosure(patient: Patient, *, recipient_name: str, description: str, purpose: str,
                         legal_basis: str, acting_user: Any, disclosed_at: datetime | None = None,
                         recipient_address: str = "") -> Disclosure:
    """Record a disclosure made outside a release request (a public-health report, a court order served
    in person...): when, to whom, what and why. Whether it is accountable follows from its legal basis."""
    # The ROI specialist records the disclosures they make; the privacy officer those reported to them.
    require_permission(acting_user, WORK if acting_user is not None and acting_user.has_perm(WORK) else MANAGE,
            "record disclosures")
    require_chart(acting_user, patient)
    for value, what, field in ((recipient_name, "recipient", "recipient_name"),
                               (description, "description of what was disclosed", "description"),
                               (purpose, "purpose", "purpose")):
        if not (value or "").strip():
            raise ChartdeskError(REQUIRED.format(what=what), field=field)
    if legal_basis not in LegalBasis.values:
        raise ChartdeskError(BASIS_UNKNOWN, field="legal_basis")
    disclosed_at = disclosed_at or timezone.now()
    if disclosed_at > timezone.now() + timedelta(minutes=5):
        raise ChartdeskError(DISCLOSED_IN_FUTURE, field="disclosed_at")
    with transaction.atomic():
        disclosure = Disclosure.objects.create(
            patient=patient, recipient_name=recipient_name.strip()[:200], recipient_address=recipient_address.strip(),
            description=description.strip(), purpose=purpose.strip()[:300], legal_basis=legal_basis,
            accountable=legal_basis not in EXEMPT_BASES, disclosed_at=disclosed_at, recorded_by=acting_user,
        )
        audit(AuditAction.CREATE, acting_user, patient, "disclosure", disclosure.pk,
              recipient=disclosure.recipient_name,
              legal_basis=legal_basis, accountable=disclosure.accountable)
    return disclosure


def do_suspend_accounting(patient: Patient, *, agency_name: str, statement_in_writing: bool, starts_on: date,
                          ends_on: date, reason: str, acting_user: Any,
                          agency_official: str = "") -> AccountingSuspension:
    """Record an agency's request to suspend the patient's accounting of disclosures to it.

    A written statement suspends for the time it names; an oral one for at most 30 days.
    """
    require_permission(acting_user, MANAGE, "suspend accountings of disclosures")
    require_chart(acting_user, patient)
    agency_name, reason = (agency_name or "").strip(), (reason or "").strip()
    if not agency_name:
        raise ChartdeskError(REQUIRED.format(what="agency"), field="agency_name")
    if not reason:
        raise ChartdeskError(REQUIRED.format(what="reason the agency gave"), field="reason")
    if ends_on < starts_on:
        raise ChartdeskError(ENDS_BEFORE_START.format(end=ends_on, start=starts_on), field="ends_on")
    if not statement_in_writing and ends_on > starts_on + timedelta(days=ORAL_SUSPENSION_DAYS):
        raise ChartdeskError(ORAL_TOO_LONG.format(last=starts_on + timedelta(days=ORAL_SUSPENSION_DAYS)),
                             field="ends_on")
    with transaction.atomic():
        suspension = AccountingSuspension.objects.create(
            patient=patient, agency_name=agency_name[:200], agency_official=(agency_official or "").strip()[:160],
            statement_in_writing=statement_in_writing, starts_on=starts_on, ends_on=ends_on, reason=reason[:300],
            created_by=acting_user,
        )
        audit(AuditAction.CREATE, acting_user, patient, "accounting_suspension", suspension.pk, agency=agency_name,
              written=statement_in_writing, ends_on=f"{ends_on:%Y-%m-%d}")
    return suspension


def do_request_accounting(patient: Patient, *, acting_user: Any, received_on: date | None = None) -> AccountingRequest:
    """Log the patient's request for an accounting; it is due in 60 days."""
    require_permission(acting_user, MANAGE, "log accounting requests")
    require_chart(acting_user, patient)
    received_on = received_on or timezone.localdate()
    with transaction.atomic():
        accounting = AccountingRequest.objects.create(
            patient=patient, received_on=received_on, due_on=deadlines.due_date(deadlines.ACCOUNTING, received_on),
            created_by=acting_user,
        )
        audit(AuditAction.CREATE, acting_user, patient, "accounting_request", accounting.pk,
              due_on=f"{accounting.due_on:%Y-%m-%d}")
    return accounting


def do_extend_accounting(accounting: AccountingRequest, *, notice: str, acting_user: Any,
                         today: date | None = None) -> AccountingRequest:
    require_permission(acting_user, MANAGE, "extend accounting requests")
    require_chart(acting_user, accounting.patient)
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = AccountingRequest.objects.select_for_update().get(pk=accounting.pk)
        problem = deadlines.extension_problem(deadlines.ACCOUNTING, locked.received_on, today,
                                              already_extended=locked.extended_at is not None, notice=notice)
        if problem:
            raise ChartdeskError(problem, field="notice")
        locked.due_on = deadlines.extended_due_date(deadlines.ACCOUNTING, locked.received_on)
        locked.extended_at = timezone.now()
        locked.extension_notice = notice.strip()
        locked.save(update_fields=["due_on", "extended_at", "extension_notice"])
        audit(AuditAction.UPDATE, acting_user, locked.patient, "accounting_request", locked.pk,
              extended_to=f"{locked.due_on:%Y-%m-%d}")
    return locked


def accounting_fee(patient: Patient, as_of: date) -> int:
    """Free once in any 12 months; later ones cost the configured reasonable cost-based fee."""
    earlier = AccountingRequest.objects.filter(
        patient=patient, status=AccountingStatus.PROVIDED, provided_at__gte=_start_of(years_before(as_of, 1))
    ).exists()
    return int(getattr(settings, "DISCLOSURE_ACCOUNTING_FEE_CENTS", DEFAULT_REPEAT_FEE_CENTS)) if earlier else 0


def do_provide_accounting(accounting: AccountingRequest, *, acting_user: Any,
                          today: date | None = None) -> AccountingRequest:
    """Produce the accounting as of today and keep exactly what the patient was given."""
    require_permission(acting_user, MANAGE, "provide accountings of disclosures")
    require_chart(acting_user, accounting.patient)
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = AccountingRequest.objects.select_for_update().select_related("patient").get(pk=accounting.pk)
        if locked.status == AccountingStatus.PROVIDED and locked.provided_at:
            raise ChartdeskError(ALREADY_PROVIDED.format(when=timezone.localtime(locked.provided_at)))
        entries = [entry_row(disclosure) for disclosure in accounting_entries(locked.patient, today)]
        locked.fee_cents = accounting_fee(locked.patient, today)
        locked.provided_entries = entries
        locked.status = AccountingStatus.PROVIDED
        locked.provided_at = timezone.now()
        locked.save(update_fields=["fee_cents", "provided_entries", "status", "provided_at"])
        audit(AuditAction.EXPORT, acting_user, locked.patient, "accounting_request", locked.pk,
              entries=len(entries), fee_cents=locked.fee_cents)
    return locked
