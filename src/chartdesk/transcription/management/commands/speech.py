"""`chartdesk speech build-lm [--notes N]`: the site's language model for the default speech engine.

Reads the text of the newest N signed notes (their current versions; notes entered in error are left
out) and the phrases the apps register (ICD-10-CM category titles), builds the back-off trigram model
of transcription/language_model.py and writes it where the engine reads it
(settings.SPEECH_LANGUAGE_MODEL). Run it after go-live and then now and then (a monthly job is
plenty): the model follows what the site's providers dictate. The model holds word sequences seen at
least twice in the site's notes, so it is kept with the other data files (docs/transcription.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.models import DocumentStatus, DocumentVersion
from chartdesk.core.registry import phrase_sources
from chartdesk.transcription.language_model import NothingToLearn, sentences_of, write_model

SIGNED = (DocumentStatus.FINAL, DocumentStatus.AMENDED)


def site_sentences(note_limit: int, counted: dict[str, int]) -> Iterator[list[str]]:
    versions = (DocumentVersion.objects.filter(document__status__in=SIGNED, signed_at__isnull=False)
                .exclude(text="").order_by("-signed_at").values_list("text", flat=True)[:note_limit])
    for text in versions.iterator(chunk_size=500):
        counted["notes"] += 1
        yield from sentences_of(text)
    for name, source in phrase_sources().items():
        for phrase in source():
            counted[name] = counted.get(name, 0) + 1
            yield from sentences_of(phrase)


class Command(BaseCommand):
    help = "Build the site's language model for the speech engine from signed notes and code titles."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        build = commands.add_parser("build-lm", help="build the language model")
        build.add_argument("--notes", type=int, default=50_000, help="newest signed notes to read (default 50000)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["notes"] < 1:
            raise CommandError("--notes must be at least 1.")
        counted: dict[str, int] = {"notes": 0}
        destination = settings.SPEECH_LANGUAGE_MODEL
        try:
            stats = write_model(site_sentences(options["notes"], counted), destination)
        except NothingToLearn:
            raise CommandError("There are no signed notes or phrases to learn from yet; the engine keeps its "
                               "general model.") from None
        record_event(AuditAction.CREATE, object_type="speech_language_model", object_id=destination.name,
                     detail={**counted, "tokens": stats.tokens, "ngrams": list(stats.ngrams)})
        sources = ", ".join(f"{count} {name}" for name, count in counted.items())
        self.stdout.write(f"Language model written to {destination}: {stats.tokens} words from {sources}; "
                          f"{stats.ngrams[0]} words, {stats.ngrams[1]} word pairs, {stats.ngrams[2]} triples.")
