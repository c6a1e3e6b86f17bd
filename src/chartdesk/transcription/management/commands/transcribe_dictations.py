"""`chartdesk transcribe-dictations --as USER`: recognise every dictation still waiting as "uploaded".

Long recordings are not recognised while the uploader waits (settings.DICTATION_SYNC_SECONDS); run
this from the scheduler until the project's task queue carries the work (docs/transcription.md).
Each dictation is claimed with a conditional UPDATE, so two runs at once never do one twice.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.core.errors import ChartdeskError
from chartdesk.transcription.actions import DICTATE, do_transcribe_dictation
from chartdesk.transcription.models import Dictation, DictationStatus


class Command(BaseCommand):
    help = "Run speech recognition on every uploaded dictation that has no draft yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="username", required=True,
                            help="the transcriptionist who acts (recorded in the audit log)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"], is_active=True).first()
        if user is None or not user.has_perm(DICTATE):
            raise CommandError(f"{options['username']} is not an active user who may handle dictation.")
        done = failed = 0
        for dictation in Dictation.objects.filter(status=DictationStatus.UPLOADED, recognition_error="").order_by(
                "due_at", "id"):
            try:
                do_transcribe_dictation(dictation, acting_user=user)
            except ChartdeskError as problem:
                failed += 1
                self.stderr.write(f"dictation {dictation.pk}: {problem.message}")
            else:
                done += 1
        self.stdout.write(f"{done} drafted, {failed} failed.")
