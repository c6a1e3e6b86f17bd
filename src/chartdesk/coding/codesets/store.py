"""Writing a parsed release into the database: all of it or nothing, and the same file twice is a no-op.

Called only from coding.actions (which holds the transaction and writes the audit event).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from chartdesk.coding.codesets.records import ParsedRelease
from chartdesk.coding.models import Code, CodeNote, CodeSetRelease, PcsAxisValue, SeventhCharacter

BATCH = 2000


@dataclass
class StoreOutcome:
    release: CodeSetRelease
    changed: bool
    replaced: bool


def store_release(parsed: ParsedRelease, *, source_name: str, source_sha256: str, acting_user: Any) -> StoreOutcome:
    """Create the release, or replace its codes when the file differs; unchanged when the file is the same."""
    existing = (
        CodeSetRelease.objects.select_for_update()
        .filter(system=parsed.system, effective_from=parsed.effective_from)
        .first()
    )
    if existing is not None and existing.source_sha256 == source_sha256:
        return StoreOutcome(existing, changed=False, replaced=False)
    loaded_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    if existing is not None:
        existing.codes.all().delete()
        existing.pcs_axis_values.all().delete()
        release = existing
        release.label = parsed.label
        release.source_name = source_name
        release.source_sha256 = source_sha256
        release.loaded_at = timezone.now()
        release.loaded_by = loaded_by
    else:
        release = CodeSetRelease(
            system=parsed.system,
            label=parsed.label,
            effective_from=parsed.effective_from,
            source_name=source_name,
            source_sha256=source_sha256,
            loaded_at=timezone.now(),
            loaded_by=loaded_by,
        )
    release.code_count = sum(1 for code in parsed.codes if code.billable)
    release.save()
    _insert_codes(release, parsed)
    PcsAxisValue.objects.bulk_create(
        (
            PcsAxisValue(release=release, position=axis.position, context=axis.context, value=axis.value,
                         label=axis.label, definition=axis.definition, explanation=axis.explanation,
                         examples=axis.examples)
            for axis in parsed.axis_values
        ),
        batch_size=BATCH,
    )
    _renew_effective_ends(parsed.system)
    release.refresh_from_db()
    return StoreOutcome(release, changed=True, replaced=existing is not None)


def _insert_codes(release: CodeSetRelease, parsed: ParsedRelease) -> None:
    rows = [
        Code(
            release=release, code=code.code, display=code.display, title=code.title,
            short_title=code.short_title[:100], level=code.level, billable=code.billable, parent=code.parent,
            sort_key=position, manifestation=code.manifestation, requires_seventh=code.requires_seventh,
            sex=code.sex, age_min=code.age_min, age_max=code.age_max, limit_source=code.limit_source,
            poa_exempt=code.poa_exempt, terms="\n".join(code.terms), axes=code.axes,
        )
        for position, code in enumerate(parsed.codes)
    ]
    Code.objects.bulk_create(rows, batch_size=BATCH)
    ids = dict(Code.objects.filter(release=release).values_list("code", "id"))
    CodeNote.objects.bulk_create(
        (
            CodeNote(code_id=ids[code.code], kind=note.kind, text=note.text, referenced=note.referenced,
                     position=position)
            for code in parsed.codes
            for position, note in enumerate(code.notes)
        ),
        batch_size=BATCH,
    )
    SeventhCharacter.objects.bulk_create(
        (
            SeventhCharacter(code_id=ids[code.code], character=character, meaning=meaning[:200])
            for code in parsed.codes
            for character, meaning in code.seventh_characters
        ),
        batch_size=BATCH,
    )


def _renew_effective_ends(system: str) -> None:
    """Each release is in effect until the next one of its system starts; the last stays open."""
    releases = list(CodeSetRelease.objects.filter(system=system).order_by("effective_from"))
    for release, following in zip(releases, [*releases[1:], None], strict=True):
        end = following.effective_from if following is not None else None
        if release.effective_to != end:
            release.effective_to = end
            release.save(update_fields=["effective_to"])
