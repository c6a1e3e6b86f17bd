"""Writes of the coding area. Loading a code set is all or nothing and audited."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path
from typing import Any

from django.db import transaction

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.coding.codesets import hcpcs, icd10cm, icd10pcs
from chartdesk.coding.codesets.records import ParsedRelease
from chartdesk.coding.codesets.store import StoreOutcome, store_release
from chartdesk.coding.models import CodeSetRelease, CodeSystem


def parse_code_set(
    system: str,
    path: Path,
    *,
    only: tuple[str, ...] | None = None,
    effective_from: datetime.date | None = None,
    label: str = "",
) -> ParsedRelease:
    """Read and check a code-set file without touching the database (raises MalformedCodeFile)."""
    if system == CodeSystem.ICD10PCS:
        return icd10pcs.parse_pcs_database(path, only=only, effective_from=effective_from, label=label)
    content = path.read_bytes()
    if system == CodeSystem.ICD10CM:
        return icd10cm.parse_tabular(content, path.name, only=only, effective_from=effective_from, label=label)
    if system == CodeSystem.HCPCS:
        return hcpcs.parse_hcpcs(content, path.name, effective_from=effective_from, label=label)
    if system == CodeSystem.CPT:
        return hcpcs.parse_cpt(content, path.name, effective_from=effective_from, label=label)
    raise ValueError(f"unknown code system {system!r}")


def file_fingerprint(path: Path, only: tuple[str, ...] | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    if only:
        # A subset of a file is a different load from the whole file.
        digest.update(("\0only:" + ",".join(sorted(only))).encode())
    return digest.hexdigest()


def do_load_code_set(
    system: str,
    path: Path,
    *,
    acting_user: Any,
    only: tuple[str, ...] | None = None,
    effective_from: datetime.date | None = None,
    label: str = "",
) -> StoreOutcome:
    """Load one release of a code set from a file, all or nothing.

    The file is parsed and checked completely before the database is touched; a malformed file
    raises MalformedCodeFile (or ManyMalformedLines) naming the lines, and nothing changes. Loading
    the same file again changes nothing; a different file for the same effective date replaces
    that release's codes. The load is written to the audit trail.
    """
    fingerprint = file_fingerprint(path, only)
    already = CodeSetRelease.objects.filter(system=system, source_sha256=fingerprint)
    if effective_from is not None:
        already = already.filter(effective_from=effective_from)
    if (same := already.first()) is not None:
        return StoreOutcome(same, changed=False, replaced=False)  # the same file again: skip the parse too
    parsed = parse_code_set(system, path, only=only, effective_from=effective_from, label=label)
    with transaction.atomic():
        outcome = store_release(parsed, source_name=path.name, source_sha256=fingerprint, acting_user=acting_user)
        if outcome.changed:
            record_event(
                AuditAction.UPDATE if outcome.replaced else AuditAction.CREATE,
                user=acting_user,
                username="" if acting_user is not None else "chartdesk codes load",
                object_type="code_set_release",
                object_id=outcome.release.pk,
                detail={
                    "system": system,
                    "label": outcome.release.label,
                    "effective_from": outcome.release.effective_from.isoformat(),
                    "source": path.name,
                    "sha256": fingerprint,
                    "billable_codes": outcome.release.code_count,
                },
            )
    if outcome.changed:
        from chartdesk.coding.encoder.index import forget_indexes

        transaction.on_commit(forget_indexes)
        forget_indexes()
    return outcome
