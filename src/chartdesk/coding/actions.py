"""Writes of the coding area. Loading a code set is all or nothing and audited."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.coding.codesets import cmindex, hcpcs, icd10cm, icd10pcs, release_files
from chartdesk.coding.codesets.errors import MalformedCodeFile
from chartdesk.coding.codesets.records import ParsedRelease
from chartdesk.coding.codesets.release_files import read_release
from chartdesk.coding.codesets.store import StoreOutcome, store_release
from chartdesk.coding.models import ClassificationIndex, CodeSetRelease, CodeSystem


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
        if path.name.endswith((".xml", ".xml.xz")):
            content = release_files.read_member(path)
            return icd10pcs.parse_pcs_tables(content, path.name.removesuffix(".xz"), only=only,
                                             effective_from=effective_from, label=label)
        return icd10pcs.parse_pcs_database(path, only=only, effective_from=effective_from, label=label)
    if system == CodeSystem.ICD10CM:
        # The earlier editions Chartdesk ships are xz-compressed, like the PCS tables.
        return icd10cm.parse_tabular(release_files.read_member(path), path.name.removesuffix(".xz"), only=only,
                                     effective_from=effective_from, label=label)
    content = path.read_bytes()
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


@dataclass
class IndexPartOutcome:
    edition: ClassificationIndex
    changed: bool
    replaced: bool


@dataclass
class ReleaseLoad:
    """What loading an ICD-10-CM release (zip or folder) did: the tabular list and each index part."""

    tabular: StoreOutcome | None
    parts: list[IndexPartOutcome]


def do_load_icd10cm_release(
    path: Path, *, acting_user: Any, effective_from: datetime.date | None = None, label: str = ""
) -> ReleaseLoad:
    """Load the ICD-10-CM release as CMS publishes it (zip, folder or one index XML), all or nothing.

    Every file is parsed and checked before the database is touched; a malformed one raises
    MalformedCodeFile naming the file, line and element, and nothing changes. Each part is loaded
    by effective date (from the file names or the <version>, or `effective_from`); a part whose
    content is already loaded for that date is left as it is, so loading the same release twice
    changes nothing. Each change is written to the audit trail in the same transaction.
    """
    files = read_release(path)
    parsed_tabular = None
    if files.tabular is not None:
        name, content = files.tabular
        parsed_tabular = icd10cm.parse_tabular(content, name, effective_from=effective_from, label=label)
    parsed_parts = []
    for name, content in files.index_files:
        parsed = cmindex.parse_index(content, name)
        start, edition_label = cmindex.edition_of_index(f"{files.container} {name}", parsed.version)
        parsed_parts.append((name, hashlib.sha256(content).hexdigest(), parsed, effective_from or start,
                             label or edition_label))
    kinds = [parsed.kind for _, _, parsed, _, _ in parsed_parts]
    if len(set(kinds)) != len(kinds):
        raise MalformedCodeFile(files.container, 1, "the release holds two files of the same index part")
    with transaction.atomic():
        tabular_outcome = None
        if parsed_tabular is not None and files.tabular is not None:
            name, content = files.tabular
            tabular_outcome = _store_tabular(parsed_tabular, name, hashlib.sha256(content).hexdigest(), acting_user)
        outcomes = [_store_index_part(*part, acting_user=acting_user) for part in parsed_parts]
    if (tabular_outcome is not None and tabular_outcome.changed) or any(part.changed for part in outcomes):
        from chartdesk.coding.encoder.index import forget_indexes

        transaction.on_commit(forget_indexes)
        forget_indexes()
    return ReleaseLoad(tabular_outcome, outcomes)


def _store_tabular(parsed: ParsedRelease, name: str, fingerprint: str, acting_user: Any) -> StoreOutcome:
    outcome = store_release(parsed, source_name=name, source_sha256=fingerprint, acting_user=acting_user)
    if outcome.changed:
        record_event(
            AuditAction.UPDATE if outcome.replaced else AuditAction.CREATE, user=acting_user,
            username="" if acting_user is not None else "chartdesk codes load", object_type="code_set_release",
            object_id=outcome.release.pk,
            detail={"system": CodeSystem.ICD10CM.value, "label": outcome.release.label,
                    "effective_from": outcome.release.effective_from.isoformat(), "source": name,
                    "sha256": fingerprint, "billable_codes": outcome.release.code_count},
        )
    return outcome


def _store_index_part(
    name: str, fingerprint: str, parsed: cmindex.ParsedIndex, effective: datetime.date, label: str, *,
    acting_user: Any,
) -> IndexPartOutcome:
    existing = (
        ClassificationIndex.objects.select_for_update().filter(part=parsed.kind, effective_from=effective).first()
    )
    if existing is not None and existing.source_sha256 == fingerprint:
        return IndexPartOutcome(existing, changed=False, replaced=False)
    edition = existing or ClassificationIndex(part=parsed.kind, effective_from=effective)
    edition.label = label
    edition.source_name = name
    edition.source_sha256 = fingerprint
    edition.columns = parsed.columns
    edition.terms = parsed.terms
    edition.term_count = len(parsed.terms)
    edition.loaded_at = timezone.now()
    edition.loaded_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    edition.save()
    record_event(
        AuditAction.UPDATE if existing is not None else AuditAction.CREATE, user=acting_user,
        username="" if acting_user is not None else "chartdesk codes load", object_type="classification_index",
        object_id=edition.pk,
        detail={"part": parsed.kind, "label": label, "effective_from": effective.isoformat(), "source": name,
                "sha256": fingerprint, "terms": len(parsed.terms)},
    )
    return IndexPartOutcome(edition, changed=True, replaced=existing is not None)
