"""A dictation follows its document's signature without charts knowing about dictations.

The receiver runs inside the signing transaction (not on commit): the signature and the dictation's
"signed" status are one change, and a failure rolls both back.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from chartdesk.charts.models import DocumentVersion


def dictation_signed(sender: Any, instance: DocumentVersion, created: bool, **kwargs: Any) -> None:
    if instance.signed_at is None or kwargs.get("raw"):
        return
    from chartdesk.transcription.actions import do_mark_dictation_signed
    from chartdesk.transcription.models import Dictation, DictationStatus

    dictation = Dictation.objects.filter(document_id=instance.document_id).exclude(
        status=DictationStatus.SIGNED).first()
    if dictation is not None:
        do_mark_dictation_signed(dictation, acting_user=instance.signed_by)


def connect() -> None:
    post_save.connect(dictation_signed, sender=DocumentVersion, dispatch_uid="transcription-dictation-signed")
