"""The one audited path that removes stored content from the legal record: destruction at the end of
retention, under a certificate.

Only the content goes: each version's text and file and each addendum's text. The document, its
versions and addenda stay as the index entry (type, dates, author, signatures and the SHA-256 of
what was stored), and the audit trail says who removed what under which certificate. The database
triggers of migration 0005 let exactly this update through on signed rows and nothing else.
Retention rules, legal holds and the certificate itself belong to the filing app, which calls this.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.models import Addendum, Document, DocumentVersion
from chartdesk.core.errors import ChartdeskError, PermissionRefused

DESTROY_CONTENT = "charts.destroy_content"
REFERENCE_REQUIRED = "Give the destruction certificate the removal is made under."


def _delete_files(names: list[str]) -> None:
    # destroy(), not delete(): the stores refuse delete() (core/storage.py); this is the one path out.
    for name in names:
        default_storage.destroy(name)  # type: ignore[attr-defined]


def do_destroy_document_content(document: Document, *, certificate_reference: str, acting_user: Any) -> int:
    """Remove the text and files of every version and addendum of `document`; returns how many rows lost content.

    The caller (filing's destruction action) has checked retention and legal holds. A stored file is
    deleted only when no version whose content remains still names it (files are stored once per
    content, so a refiled scan may share its bytes with a retracted one).
    """
    if acting_user is None or not acting_user.is_authenticated or not acting_user.has_perm(DESTROY_CONTENT):
        raise PermissionRefused("You do not have permission to destroy record content.")
    reference = (certificate_reference or "").strip()[:40]
    if not reference:
        raise ChartdeskError(REFERENCE_REQUIRED, field="certificate")
    now = timezone.now()
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        versions = list(DocumentVersion.objects.filter(document=locked, content_destroyed_at__isnull=True))
        stored_names = {version.file.name for version in versions if version.file}
        # Queryset updates on purpose: the models' save() refuses any change to a signed row; the
        # database triggers allow exactly this shape of update (see migration 0005).
        purged = DocumentVersion.objects.filter(pk__in=[version.pk for version in versions]).update(
            text="", file=None, content_destroyed_at=now, destruction_reference=reference)
        purged += Addendum.objects.filter(document=locked, content_destroyed_at__isnull=True).update(
            text="", content_destroyed_at=now, destruction_reference=reference)
        still_used = set(
            DocumentVersion.objects.filter(file__in=stored_names, content_destroyed_at__isnull=True)
            .values_list("file", flat=True)
        )
        removed_files = sorted(stored_names - still_used)
        locked.revision += 1
        locked.save(update_fields=["revision"])
        record_event(
            AuditAction.UPDATE, user=acting_user, patient=locked.patient, object_type="document", object_id=locked.pk,
            detail={"change": "content destroyed", "certificate": reference, "rows": purged,
                    "versions": [version.number for version in versions],
                    "sha256": sorted({version.file_sha256 for version in versions if version.file_sha256})},
        )
        # Files go once the rows no longer name them; a rollback before this point leaves them intact.
        transaction.on_commit(lambda: _delete_files(removed_files))
    return purged
