"""Productivity: billable lines per transcriptionist and per document, and each document's turnaround
(dictated -> preliminary, i.e. sent to its author -> signed).

A document's lines are those of the last version its transcriptionist saved (what they delivered; the
author's later edits are not the transcriptionist's work). Restricted charts the reader may not open
are left out, as in the queues; every reading is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.models import DocumentVersion
from chartdesk.core.errors import NotFound
from chartdesk.patients.access import rows_open_to
from chartdesk.transcription.access import dictations_with_links
from chartdesk.transcription.actions import ASSIGN, TRANSCRIBE
from chartdesk.transcription.editor import line_count
from chartdesk.transcription.models import QASample


@dataclass
class DocumentRow:
    dictation: Any
    transcriptionist: Any
    lines: float | None
    hours_to_preliminary: float | None
    hours_to_signed: float | None


@dataclass
class TranscriptionistTotal:
    transcriptionist: Any
    documents: int = 0
    lines: float = 0.0


@dataclass
class QATotal:
    """One transcriptionist's QA: finished drafts drawn, picked, scored, and the accuracy over the scored
    ones pooled by lines (their weighted errors per hundred of their lines, as one score is)."""

    transcriptionist: Any
    drawn: int = 0
    picked: int = 0
    scored: int = 0
    lines: float = 0.0
    weighted_errors: float = 0.0

    @property
    def accuracy(self) -> float | None:
        if not self.scored:
            return None
        return round(max(0.0, 100 - self.weighted_errors * 100 / self.lines), 2)


@dataclass
class Productivity:
    documents: list[DocumentRow] = field(default_factory=list)
    totals: list[TranscriptionistTotal] = field(default_factory=list)
    qa: list[QATotal] = field(default_factory=list)


def _hours(start: datetime, end: datetime | None) -> float | None:
    return round((end - start).total_seconds() / 3600, 1) if end is not None else None


def _delivered_lines(dictation: Any) -> float | None:
    if dictation.document_id is None or dictation.assigned_to_id is None:
        return None
    version = (DocumentVersion.objects.filter(document_id=dictation.document_id, created_by=dictation.assigned_to_id)
               .order_by("-number").only("text").first())
    return line_count(version.text) if version is not None else None


def _report(user: Any, dictations: list[Any]) -> Productivity:
    report = Productivity()
    totals: dict[int, TranscriptionistTotal] = {}
    for dictation in rows_open_to(user, dictations):
        lines = _delivered_lines(dictation)
        report.documents.append(DocumentRow(dictation, dictation.assigned_to, lines,
                                            _hours(dictation.dictated_at, dictation.sent_to_author_at),
                                            _hours(dictation.dictated_at, dictation.signed_at)))
        if lines is not None and dictation.assigned_to_id is not None:
            total = totals.setdefault(dictation.assigned_to_id, TranscriptionistTotal(dictation.assigned_to))
            total.documents += 1
            total.lines = round(total.lines + lines, 2)
    report.totals = sorted(totals.values(), key=lambda total: total.transcriptionist.username)
    record_event(AuditAction.VIEW, user=user, object_type="transcription_productivity",
                 detail={"patient_ids": sorted({row.dictation.patient_id for row in report.documents}),
                         "count": len(report.documents)})
    return report


def access_productivity(user: Any) -> Productivity:
    """Every transcribed dictation (HIM manager: transcription.assign_transcription), newest first."""
    if not user.is_authenticated or not user.has_perm(ASSIGN):
        raise NotFound("report")
    report = _report(user, list(dictations_with_links().exclude(document=None).order_by("-dictated_at", "-id")))
    report.qa = _qa_totals(user)
    return report


def _qa_totals(user: Any) -> list[QATotal]:
    totals: dict[int, QATotal] = {}
    for sample in rows_open_to(user, list(QASample.objects.select_related("patient", "transcriptionist"))):
        total = totals.setdefault(sample.transcriptionist_id, QATotal(sample.transcriptionist))
        total.drawn += 1
        total.picked += sample.selected
        if sample.reviewed_at is not None and sample.weighted_errors is not None:
            total.scored += 1
            total.lines = round(total.lines + max(sample.lines, 1.0), 2)
            total.weighted_errors = round(total.weighted_errors + sample.weighted_errors, 2)
    return sorted(totals.values(), key=lambda total: total.transcriptionist.username)


def access_own_productivity(user: Any) -> Productivity:
    """The signed-in transcriptionist's own dictations, newest first."""
    if not user.is_authenticated or not user.has_perm(TRANSCRIBE):
        raise NotFound("report")
    theirs = dictations_with_links().filter(assigned_to=user).exclude(document=None)
    return _report(user, list(theirs.order_by("-dictated_at", "-id")))
