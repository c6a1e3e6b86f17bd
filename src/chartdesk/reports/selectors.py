"""Read-only selectors for home pages and dashboards. Nothing in reports/ writes records.

Work lists that name patients are recorded in the audit log by the view that shows them (one event
per list, with the patient ids shown), so "who saw this chart" includes appearances in work lists.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from chartdesk.audit.models import AuditAction, AuditEvent
from chartdesk.charts.models import Document, DocumentStatus, Encounter, EncounterStatus
from chartdesk.patients.models import Patient, PatientStatus


def unsigned_documents_for_provider(user: Any, *, limit: int = 50) -> QuerySet[Document]:
    """Documents this provider authored that still wait for a signature, oldest first."""
    provider = getattr(user, "provider", None)
    if provider is None:
        return Document.objects.none()
    return (
        Document.objects.filter(author=provider, status=DocumentStatus.PRELIMINARY)
        .select_related("patient", "encounter")
        .order_by("service_date", "id")[:limit]
    )


def drafts_by_user(user: Any, *, limit: int = 50) -> QuerySet[Document]:
    return (
        Document.objects.filter(created_by=user, status=DocumentStatus.PRELIMINARY)
        .select_related("patient", "author")
        .order_by("-created_at")[:limit]
    )


def recent_registrations(user: Any, *, days: int = 7, limit: int = 20) -> QuerySet[Patient]:
    since = timezone.now() - timedelta(days=days)
    return Patient.objects.filter(created_by=user, created_at__gte=since).order_by("-created_at")[:limit]


def recently_finished_encounters(*, days: int = 14, limit: int = 50) -> QuerySet[Encounter]:
    since = timezone.now() - timedelta(days=days)
    return (
        Encounter.objects.filter(status=EncounterStatus.FINISHED, discharge_at__gte=since)
        .exclude(patient__restriction__gt="")
        .select_related("patient")
        .order_by("discharge_at")[:limit]
    )


def break_the_glass_events(*, days: int = 14, limit: int = 50) -> QuerySet[AuditEvent]:
    since = timezone.now() - timedelta(days=days)
    return AuditEvent.objects.filter(action=AuditAction.BREAK_THE_GLASS, occurred_at__gte=since).order_by(
        "-occurred_at"
    )[:limit]


def denied_access_events(*, days: int = 14, limit: int = 50) -> QuerySet[AuditEvent]:
    since = timezone.now() - timedelta(days=days)
    return AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, occurred_at__gte=since).order_by(
        "-occurred_at"
    )[:limit]


def department_counts(*, unsigned_after_days: int = 2) -> dict[str, int]:
    cutoff = timezone.localdate() - timedelta(days=unsigned_after_days)
    return {
        "active_patients": Patient.objects.filter(status=PatientStatus.ACTIVE).count(),
        "restricted_charts": Patient.objects.exclude(restriction="").count(),
        "unsigned_documents": Document.objects.filter(status=DocumentStatus.PRELIMINARY).count(),
        "unsigned_over_threshold": Document.objects.filter(
            status=DocumentStatus.PRELIMINARY, service_date__lt=cutoff
        ).count(),
        "open_inpatient_stays": Encounter.objects.filter(
            encounter_class="inpatient", status=EncounterStatus.IN_PROGRESS
        ).count(),
    }


def locked_out_usernames() -> list[str]:
    from axes.models import AccessAttempt
    from django.conf import settings

    return sorted(
        AccessAttempt.objects.filter(failures_since_start__gte=settings.LOCKOUT_ATTEMPTS).values_list(
            "username", flat=True
        )
    )
