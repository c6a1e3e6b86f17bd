"""The tabular notes a coder checks before taking a code: on the code and on every level above it."""

from __future__ import annotations

from chartdesk.coding.encoder.index import CodeIndex
from chartdesk.coding.models import CodeNote, NoteKind

# The instructions that change what is reported with the code (inclusion terms only describe it).
APPLYING = (NoteKind.EXCLUDES1, NoteKind.EXCLUDES2, NoteKind.CODE_FIRST, NoteKind.USE_ADDITIONAL_CODE,
            NoteKind.CODE_ALSO)


def notes_for(index: CodeIndex, code: str) -> list[dict[str, str]]:
    """Excludes1/2, code first, use additional code and code also, from the chapter down to `code`."""
    chain = [node.code for node in index.ancestors(code)]
    if not chain:
        return []
    rows = (
        CodeNote.objects.filter(code__release_id=index.release_id, code__code__in=chain, kind__in=APPLYING)
        .values_list("code__code", "code__display", "kind", "text")
    )
    depth = {holder: position for position, holder in enumerate(chain)}
    ordered = sorted(rows, key=lambda row: (depth[row[0]], APPLYING.index(NoteKind(row[2]))))
    return [{"at": display, "kind": NoteKind(kind).label, "text": text} for _, display, kind, text in ordered]
