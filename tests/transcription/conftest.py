"""Fixtures of the transcription tests: recordings the tests speak themselves (espeak-ng) and convert
(ffmpeg), a provider who dictates, an encounter, and a scripted engine for workflow tests that are
not about recognition quality.

Without ffmpeg or espeak-ng these tests are skipped with the reason; CI sets
CHARTDESK_REQUIRE_AUDIO_TOOLS=1 (.ci/run installs both), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from chartdesk.transcription import engines
from tests.support import factories

TOOLS = ("ffmpeg", "ffprobe", "espeak-ng")
SENTENCE = "The patient is a sixty year old man with chest pain."


def require_audio_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed (apt-get install ffmpeg espeak-ng)"
    if os.environ.get("CHARTDESK_REQUIRE_AUDIO_TOOLS") == "1":
        raise pytest.UsageError(f"CHARTDESK_REQUIRE_AUDIO_TOOLS=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def speak(tmp_path: Path) -> Any:
    """speak(text, extension) -> path of a recording of `text` in that format."""
    require_audio_tools()
    codecs = {"wav": [], "mp3": ["-c:a", "libmp3lame"], "m4a": ["-c:a", "aac"], "ogg": ["-c:a", "libopus"],
              "opus": ["-c:a", "libopus"], "webm": ["-c:a", "libopus"]}

    def make(text: str = SENTENCE, extension: str = "wav") -> Path:
        wav = tmp_path / f"spoken-{abs(hash(text))}.wav"
        if not wav.exists():
            subprocess.run(["espeak-ng", "-s", "140", "-w", str(wav), text], check=True, capture_output=True)
        if extension == "wav":
            return wav
        converted = tmp_path / f"spoken-{abs(hash(text))}.{extension}"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), *codecs[extension], str(converted)],
                       check=True, capture_output=True)
        return converted

    return make


class ScriptedEngine:
    """An engine that answers fixed text, after reading every sample ffmpeg decodes (so the decode path
    still runs): for tests of the workflow, not of recognition."""

    name = "scripted"
    text = "Chest pain for two days."

    def recognise(self, pcm_chunks: Iterable[bytes]) -> engines.Recognition:
        samples = sum(len(chunk) for chunk in pcm_chunks) // 2
        seconds = samples / 16_000
        words = [engines.Word(word, seconds * i / 5, seconds * (i + 1) / 5) for i, word in enumerate(self.text.split())]
        return engines.Recognition(self.text, words, self.name)


@pytest.fixture
def scripted_engine(settings: Any) -> Iterator[None]:
    engines.register_engine("scripted", ScriptedEngine)
    settings.SPEECH_ENGINE = "scripted"
    yield


@pytest.fixture
def dictating_provider(users: dict[str, Any]) -> Any:
    factories.make_provider("Ada", "Lovelace", user=users["provider"], credentials="MD")
    return get_user_model().objects.get(pk=users["provider"].pk)


@pytest.fixture
def encounter(patient: Any, users: dict[str, Any], dictating_provider: Any) -> Any:
    return factories.make_encounter(patient, "inpatient", acting_user=users["registrar"],
                                    attending=dictating_provider.provider)


@pytest.fixture
def dictation(speak: Any, scripted_engine: None, patient: Any, encounter: Any, dictating_provider: Any) -> Any:
    """A short spoken recording, uploaded and recognised by the scripted engine: a draft ready to edit."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chartdesk.charts.models import DocumentType
    from chartdesk.transcription.actions import do_transcribe_dictation, do_upload_dictation

    recording = SimpleUploadedFile("hp.wav", speak().read_bytes())
    uploaded = do_upload_dictation(patient, encounter=encounter, document_type=DocumentType.HISTORY_AND_PHYSICAL,
                                   priority="routine", author=dictating_provider.provider, upload=recording,
                                   acting_user=dictating_provider)
    return do_transcribe_dictation(uploaded, acting_user=dictating_provider)
