"""Every change to deficiencies: the provider's queue actions, HIM's decisions, reminders, delinquency.

Each action checks the permission and the chart's restriction, runs in one transaction and writes
its audit event there. Signing goes through charts' own do_sign_document, so a signature made from
the queue is the same legal act as one made from the document viewer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.actions import STALE_REVISION, attestation_statement, do_sign_document, provider_of
from chartdesk.charts.models import Document, DocumentStatus
from chartdesk.completion.analysis import analyse_encounter, refresh_chart
from chartdesk.completion.models import (
    OUTSTANDING,
    ChartCompletion,
    ChartStatus,
    CoSignature,
    Deficiency,
    DeficiencyRule,
    DeficiencyStatus,
    RuleKind,
)
from chartdesk.core import clock
from chartdesk.core.errors import ChartdeskError, ConcurrentChange, NotFound, PermissionRefused
from chartdesk.core.locking import lock_row
from chartdesk.core.permissions import require_permission
from chartdesk.patients.access import restriction_allows

COMPLETE_CHARTS = "completion.complete_charts"
MANAGE_DEFICIENCIES = "completion.manage_deficiencies"

NOT_YOURS = "This deficiency is assigned to {provider}, not to you."
NOT_OUTSTANDING = "This deficiency is already {status}."
NOTHING_TO_SIGN = "This deficiency is not about a signature: write or dictate the document instead."
DICTATION_ONLY_FOR_MISSING = "Dictation is marked for a missing document; this deficiency asks for a signature."
REASON_REQUIRED = "Give the reason for {what}."
REASON_TOO_LONG = "The reason may be at most 500 characters."
DOCUMENT_RETRACTED = "The document was marked entered in error; nothing is left to sign."


def _locked(deficiency: Deficiency, user: Any) -> Deficiency:
    # Row lock: a provider signing from the queue and HIM resolving the same deficiency must not
    # both pass the "still outstanding" check.
    locked = lock_row(deficiency, "patient", "document", "provider", only_self=True)
    if not restriction_allows(user, locked.patient):
        raise NotFound("deficiency")
    return locked


def _assigned_to(user: Any, deficiency: Deficiency) -> None:
    provider = provider_of(user)
    if provider is None or deficiency.provider_id != provider.pk:
        raise PermissionRefused(NOT_YOURS.format(provider=deficiency.provider or "no provider"))


def _outstanding(deficiency: Deficiency) -> None:
    if deficiency.status not in OUTSTANDING:
        raise ChartdeskError(NOT_OUTSTANDING.format(status=deficiency.get_status_display().lower()))


def _reason(text: str | None, what: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise ChartdeskError(REASON_REQUIRED.format(what=what), field="reason")
    if len(reason) > 500:
        raise ChartdeskError(REASON_TOO_LONG, field="reason")
    return reason


def _audit(user: Any, deficiency: Deficiency, change: str, **detail: Any) -> None:
    record_event(
        AuditAction.UPDATE, user=user, patient=deficiency.patient, object_type="deficiency", object_id=deficiency.pk,
        detail={"change": change, "encounter_id": deficiency.encounter_id, "description": deficiency.description,
                **detail},
    )


def do_sign_from_queue(deficiency: Deficiency, *, acting_user: Any, expected_revision: int,
                       attestation: str | None = None) -> Deficiency:
    """Sign (or co-sign) the document a signature deficiency names, then re-analyse the encounter.

    `expected_revision` is the document revision the signer was shown with the attestation: a
    signature is made only on the version the signer read, never blind (a changed document answers
    ConcurrentChange and signs nothing)."""
    require_permission(acting_user, COMPLETE_CHARTS, "work the charts-to-complete queue")
    with transaction.atomic():
        locked = _locked(deficiency, acting_user)
        _assigned_to(acting_user, locked)
        _outstanding(locked)
        if locked.kind not in (RuleKind.SIGNATURE, RuleKind.COSIGNATURE) or locked.document is None:
            raise ChartdeskError(NOTHING_TO_SIGN)
        if locked.document.status == DocumentStatus.ENTERED_IN_ERROR:
            raise ChartdeskError(DOCUMENT_RETRACTED)
        if locked.kind == RuleKind.SIGNATURE:
            do_sign_document(locked.document, acting_user=acting_user, attestation=attestation,
                             expected_revision=expected_revision)
        else:
            do_cosign_document(locked, acting_user=acting_user, expected_revision=expected_revision,
                               attestation=attestation)
        analyse_encounter(locked.encounter_id, acting_user=acting_user)
    locked.refresh_from_db()
    return locked


def cosign_statement(provider: Any, signed_at: datetime) -> str:
    return "Co-signed. " + attestation_statement(provider, signed_at)


def do_cosign_document(deficiency: Deficiency, *, acting_user: Any, expected_revision: int,
                       attestation: str | None = None) -> CoSignature:
    """Record the attending's co-signature of the signed version a co-signature deficiency names,
    as shown to them at `expected_revision` of the document."""
    require_permission(acting_user, "charts.sign_document", "co-sign documents")
    require_permission(acting_user, COMPLETE_CHARTS, "work the charts-to-complete queue")
    provider = provider_of(acting_user)
    if provider is None or not provider.active:
        raise PermissionRefused(NOT_YOURS.format(provider=deficiency.provider or "no provider"))
    with transaction.atomic():
        locked = _locked(deficiency, acting_user)
        _assigned_to(acting_user, locked)
        if locked.document is None:
            raise ChartdeskError(NOTHING_TO_SIGN)
        # Lock the document too: the version co-signed is the one shown, not one saved meanwhile.
        document = Document.objects.select_for_update().get(pk=locked.document.pk)
        if document.current_version_id is None:
            raise ChartdeskError(NOTHING_TO_SIGN)
        if int(expected_revision) != document.revision:
            raise ConcurrentChange(STALE_REVISION)
        signed_at = clock.now()
        statement = cosign_statement(provider, signed_at)
        extra = (attestation or "").strip()[:500]
        cosignature, _ = CoSignature.objects.get_or_create(
            version_id=document.current_version_id, provider=provider,
            defaults={"document": document, "signed_at": signed_at, "signed_by": acting_user,
                      "attestation": f"{statement}\n{extra}" if extra else statement},
        )
        record_event(AuditAction.SIGN, user=acting_user, patient=locked.patient, object_type="document",
                     object_id=document.pk, detail={"cosignature": cosignature.pk,
                                                    "version_id": document.current_version_id,
                                                    "attestation": cosignature.attestation})
    return cosignature


def do_mark_dictation_needed(deficiency: Deficiency, *, acting_user: Any, note: str = "") -> Deficiency:
    """The provider says the missing document will be dictated; it stays outstanding until it arrives."""
    require_permission(acting_user, COMPLETE_CHARTS, "work the charts-to-complete queue")
    with transaction.atomic():
        locked = _locked(deficiency, acting_user)
        _assigned_to(acting_user, locked)
        _outstanding(locked)
        if locked.kind in (RuleKind.SIGNATURE, RuleKind.COSIGNATURE):
            raise ChartdeskError(DICTATION_ONLY_FOR_MISSING)
        locked.status = DeficiencyStatus.DICTATION_NEEDED
        locked.note = (note or "").strip()[:500]
        locked.save(update_fields=["status", "note"])
        _audit(acting_user, locked, "dictation needed", note=locked.note)
    return locked


def do_dispute_deficiency(deficiency: Deficiency, *, reason: str, acting_user: Any) -> Deficiency:
    """The provider disputes the deficiency (not theirs, not needed) with a reason for HIM to review."""
    require_permission(acting_user, COMPLETE_CHARTS, "work the charts-to-complete queue")
    reason = _reason(reason, "the dispute")
    with transaction.atomic():
        locked = _locked(deficiency, acting_user)
        _assigned_to(acting_user, locked)
        _outstanding(locked)
        locked.status = DeficiencyStatus.DISPUTED
        locked.note = reason
        locked.save(update_fields=["status", "note"])
        _audit(acting_user, locked, "disputed", reason=reason)
    return locked


def _close_by_him(deficiency: Deficiency, status: str, reason: str, acting_user: Any, what: str) -> Deficiency:
    require_permission(acting_user, MANAGE_DEFICIENCIES, f"mark deficiencies {what}")
    reason = _reason(reason, f"marking it {what}")
    with transaction.atomic():
        locked = _locked(deficiency, acting_user)
        _outstanding(locked)
        previous = locked.status
        locked.status = status
        locked.note = reason
        locked.closed_at = clock.now()
        locked.closed_by = acting_user
        locked.save(update_fields=["status", "note", "closed_at", "closed_by"])
        _audit(acting_user, locked, what, reason=reason, previous_status=previous)
        refresh_chart(locked.encounter_id)
    return locked


def do_resolve_deficiency(deficiency: Deficiency, *, reason: str, acting_user: Any) -> Deficiency:
    """HIM closes a deficiency as resolved (e.g. the document arrived on paper), with a reason."""
    return _close_by_him(deficiency, DeficiencyStatus.RESOLVED, reason, acting_user, "resolved")


def do_mark_not_applicable(deficiency: Deficiency, *, reason: str, acting_user: Any) -> Deficiency:
    """HIM closes a deficiency that does not apply to this record, with a reason."""
    return _close_by_him(deficiency, DeficiencyStatus.NOT_APPLICABLE, reason, acting_user, "not applicable")


def do_uphold_deficiency(deficiency: Deficiency, *, reason: str, acting_user: Any) -> Deficiency:
    """HIM rejects a provider's dispute: the deficiency is open again, with HIM's reason."""
    require_permission(acting_user, MANAGE_DEFICIENCIES, "review disputes")
    reason = _reason(reason, "upholding the deficiency")
    with transaction.atomic():
        locked = _locked(deficiency, acting_user)
        if locked.status != DeficiencyStatus.DISPUTED:
            raise ChartdeskError(NOT_OUTSTANDING.format(status=locked.get_status_display().lower()))
        locked.status = DeficiencyStatus.OPEN
        locked.note = reason
        locked.save(update_fields=["status", "note"])
        _audit(acting_user, locked, "dispute rejected", reason=reason)
    return locked


def do_update_delinquency(*, acting_user: Any = None, now: datetime | None = None) -> int:
    """Mark incomplete records past the delinquency deadline delinquent; returns how many moved."""
    if acting_user is not None:
        require_permission(acting_user, MANAGE_DEFICIENCIES, "update delinquency")
    now = now or clock.now()
    moved = 0
    with transaction.atomic():
        candidates = ChartCompletion.objects.select_for_update().filter(status=ChartStatus.INCOMPLETE)
        for completion in candidates.select_related("patient"):
            refreshed = refresh_chart(completion.encounter_id, now=now)
            if refreshed is not None and refreshed.status == ChartStatus.DELINQUENT:
                record_event(
                    AuditAction.UPDATE, user=acting_user, username="" if acting_user else "chartdesk-completion",
                    patient=completion.patient, object_type="chart_completion", object_id=completion.encounter_id,
                    detail={"change": "delinquent", "delinquent_since": refreshed.delinquent_since.isoformat()
                            if refreshed.delinquent_since else None},
                )
                moved += 1
    return moved


RULE_FIELDS = ("name", "kind", "encounter_class", "document_type", "anchor", "hours_before", "hours_after",
               "cosign_credentials", "active")
RULE_CODE_TAKEN = "A rule with the code {code} exists already."


def do_save_rule(rule: DeficiencyRule | None, *, acting_user: Any, code: str = "", **fields: Any) -> DeficiencyRule:
    """Add a deficiency rule (rule None, with its code) or change one; analysis uses it from the next run."""
    require_permission(acting_user, "completion.manage_rules", "change deficiency rules")
    if fields.get("kind") == RuleKind.REQUIRED_DOCUMENT and not fields.get("document_type"):
        raise ChartdeskError("A required-document rule names the document type.", field="document_type")
    with transaction.atomic():
        if rule is None:
            if DeficiencyRule.objects.filter(code=code).exists():
                raise ChartdeskError(RULE_CODE_TAKEN.format(code=code), field="code")
            rule = DeficiencyRule(code=code)
            before: dict[str, Any] = {}
        else:
            rule = DeficiencyRule.objects.select_for_update().get(pk=rule.pk)
            before = {name: getattr(rule, name) for name in RULE_FIELDS}
        for name in RULE_FIELDS:
            if name in fields:
                setattr(rule, name, fields[name])
        rule.full_clean()
        rule.save()
        after = {name: getattr(rule, name) for name in RULE_FIELDS}
        record_event(AuditAction.CREATE if not before else AuditAction.UPDATE, user=acting_user,
                     object_type="deficiency_rule", object_id=rule.pk,
                     detail={"code": rule.code, "changed": {name: [before.get(name), value]
                                                            for name, value in after.items()
                                                            if before.get(name) != value}})
    return rule
