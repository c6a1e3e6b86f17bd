"""What a complete record needs: deficiency rules applied to one encounter, without touching the database.

`findings_for` takes an encounter's facts (care team, documents with their current version, the
co-signatures on record) and the active rules, and returns the deficiencies that record has now.
Analysis (analysis.py) compares them with the deficiencies already open and writes the difference.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from chartdesk.charts.models import CareRole, DocumentStatus, DocumentType
from chartdesk.completion.models import Anchor, DeficiencyRule, RuleKind


@dataclass(frozen=True)
class DocumentFacts:
    id: int
    document_type: str
    service_date: date
    status: str
    linked_to_encounter: bool
    author_id: int | None
    author_credentials: str
    current_version_id: int | None
    signed: bool


@dataclass(frozen=True)
class EncounterFacts:
    id: int
    encounter_class: str
    admit_at: datetime
    discharge_at: datetime
    care_team: tuple[tuple[int, str], ...]  # (provider id, role)
    documents: tuple[DocumentFacts, ...]
    cosigned_versions: frozenset[tuple[int, int]] = field(default_factory=frozenset)  # (version id, provider id)

    def providers_in(self, *roles: str) -> list[int]:
        return [provider for provider, role in self.care_team if role in roles]

    @property
    def attending_id(self) -> int | None:
        found = self.providers_in(CareRole.ATTENDING) or self.providers_in(CareRole.ADMITTING)
        return found[0] if found else None


@dataclass(frozen=True)
class Finding:
    """One deficiency the record has now; (rule, document, provider) identifies it across analyses."""

    rule_id: int
    kind: str
    document_id: int | None
    provider_id: int | None
    description: str
    due_at: datetime | None

    @property
    def key(self) -> tuple[int, int | None, int | None]:
        return (self.rule_id, self.document_id, self.provider_id)


def _type_label(code: str) -> str:
    return DocumentType(code).label if code in DocumentType.values else code


def _window(rule: DeficiencyRule, encounter: EncounterFacts) -> tuple[datetime, datetime]:
    anchor = encounter.admit_at if rule.anchor == Anchor.ADMISSION else encounter.discharge_at
    return anchor - timedelta(hours=rule.hours_before), anchor + timedelta(hours=rule.hours_after)


def _window_words(rule: DeficiencyRule) -> str:
    anchor = Anchor(rule.anchor).label.lower()
    parts = []
    if rule.hours_before:
        parts.append(f"{rule.hours_before} h before")
    if rule.hours_after:
        parts.append(f"{rule.hours_after} h after")
    return f"from {' to '.join(parts)} {anchor}" if parts else f"at {anchor}"


def _live(encounter: EncounterFacts) -> list[DocumentFacts]:
    return [document for document in encounter.documents if document.status != DocumentStatus.ENTERED_IN_ERROR]


def _required_document(rule: DeficiencyRule, encounter: EncounterFacts) -> list[Finding]:
    start, end = _window(rule, encounter)
    # Dates, not times: a document carries a service date only. An unlinked document (an H&P done
    # in the office before admission) counts when it falls in the window.
    first_day, last_day = timezone.localdate(start), timezone.localdate(end)
    satisfied = any(
        document.document_type == rule.document_type and first_day <= document.service_date <= last_day
        for document in _live(encounter)
    )
    if satisfied:
        return []
    label = _type_label(rule.document_type)
    return [Finding(rule.pk, rule.kind, None, encounter.attending_id,
                    f"{label} missing ({_window_words(rule)})", end)]


def _signature(rule: DeficiencyRule, encounter: EncounterFacts) -> list[Finding]:
    findings = []
    for document in _live(encounter):
        if not document.linked_to_encounter or document.signed:
            continue
        if rule.document_type and document.document_type != rule.document_type:
            continue
        signer = document.author_id or encounter.attending_id
        findings.append(Finding(
            rule.pk, rule.kind, document.id, signer, f"{_type_label(document.document_type)} not signed",
            encounter.discharge_at + timedelta(hours=rule.hours_after),
        ))
    return findings


def _cosignature(rule: DeficiencyRule, encounter: EncounterFacts) -> list[Finding]:
    needing = rule.credentials_needing_cosign()
    attending = encounter.attending_id
    findings = []
    for document in _live(encounter):
        if not document.linked_to_encounter or not document.signed or document.current_version_id is None:
            continue
        if rule.document_type and document.document_type != rule.document_type:
            continue
        credentials = document.author_credentials.strip().upper().rstrip(".")
        if credentials not in needing or attending is None or attending == document.author_id:
            continue
        if (document.current_version_id, attending) in encounter.cosigned_versions:
            continue
        findings.append(Finding(
            rule.pk, rule.kind, document.id, attending,
            f"{_type_label(document.document_type)} by a {credentials} needs the attending's co-signature",
            encounter.discharge_at + timedelta(hours=rule.hours_after),
        ))
    return findings


def _operative_report(rule: DeficiencyRule, encounter: EncounterFacts) -> list[Finding]:
    # Surgery is recorded in charts as a surgeon on the care team; each surgeon owes a report.
    surgeons = encounter.providers_in(CareRole.SURGEON)
    reports = [document for document in _live(encounter)
               if document.document_type == DocumentType.OPERATIVE_REPORT and document.linked_to_encounter]
    findings = []
    for surgeon in surgeons:
        if any(report.author_id in (surgeon, None) for report in reports):
            continue
        findings.append(Finding(rule.pk, rule.kind, None, surgeon, "Operative report missing",
                                encounter.discharge_at + timedelta(hours=rule.hours_after)))
    return findings


CHECKS = {
    RuleKind.REQUIRED_DOCUMENT: _required_document,
    RuleKind.SIGNATURE: _signature,
    RuleKind.COSIGNATURE: _cosignature,
    RuleKind.OPERATIVE_REPORT: _operative_report,
}


def rule_applies(rule: DeficiencyRule, encounter: EncounterFacts) -> bool:
    return rule.active and (not rule.encounter_class or rule.encounter_class == encounter.encounter_class)


def findings_for(encounter: EncounterFacts, rules: Iterable[DeficiencyRule]) -> list[Finding]:
    """Every deficiency the encounter's record has under the rules that apply to its class."""
    findings: list[Finding] = []
    for rule in rules:
        if rule_applies(rule, encounter):
            findings += CHECKS[RuleKind(rule.kind)](rule, encounter)
    return findings
