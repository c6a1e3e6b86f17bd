"""`chartdesk transcribe FILE [--json] [--engine NAME]`: speech recognition of one recording.

Prints the text, or with --json an object with `engine`, `text` and `words` (each `word`, `start`,
`end` in seconds). Nothing is stored and no patient is involved: it is for trying engines and audio.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.core.errors import ChartdeskError
from chartdesk.transcription import audio
from chartdesk.transcription.engines import engine_names, get_engine


class Command(BaseCommand):
    help = ("Recognise the speech in one audio file (WAV, MP3, M4A/AAC, OGG/Opus, WebM/Opus) and print text and "
            "word timings.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the recording")
        parser.add_argument("--json", action="store_true", help="print text and word timings as JSON")
        parser.add_argument("--engine", choices=engine_names(), help="speech engine (default: the setting)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        try:
            with path.open("rb") as recording:
                checked = audio.check_audio(recording, name=path.name)
            checked.spool.close()
            recognition = get_engine(options["engine"]).recognise(audio.decode_file(str(path)))
        except ChartdeskError as problem:
            raise CommandError(problem.message) from None
        if options["json"]:
            self.stdout.write(json.dumps(recognition.as_json(), indent=2))
        else:
            self.stdout.write(recognition.text)
