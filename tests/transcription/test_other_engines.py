"""Engines other than the default are chosen by setting, with the model a site provides: faster-whisper
reads a CTranslate2 model folder named by CHARTDESK_WHISPER_MODEL_DIR, and until the site has put one in
place every dictation sent to it goes back to "uploaded" with the reason naming what to fix (nothing
is ever downloaded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from chartdesk.charts.models import DocumentType
from chartdesk.core.errors import ChartdeskError
from chartdesk.transcription.actions import do_transcribe_dictation, do_upload_dictation
from chartdesk.transcription.engines import engine_names, get_engine
from chartdesk.transcription.whisper_engine import EngineUnavailable, FasterWhisperEngine


def test_faster_whisper_is_a_known_engine_that_reads_its_settings(settings: Any, tmp_path: Path):
    settings.WHISPER_MODEL_DIR = str(tmp_path)
    settings.WHISPER_DEVICE = "cuda"
    assert "faster-whisper" in engine_names()
    engine = get_engine("faster-whisper")
    assert isinstance(engine, FasterWhisperEngine)
    assert (engine.model_dir, engine.device, engine.name) == (tmp_path, "cuda", "faster-whisper")


def test_without_a_model_folder_it_says_which_setting_to_set(settings: Any):
    settings.WHISPER_MODEL_DIR = ""
    with pytest.raises(EngineUnavailable, match="set CHARTDESK_WHISPER_MODEL_DIR"):
        FasterWhisperEngine().recognise([b"\x00\x00" * 1600])


def test_a_folder_without_the_model_is_named(tmp_path: Path):
    with pytest.raises(EngineUnavailable, match=f"No faster-whisper model in {tmp_path} \\(model.bin is missing\\)"):
        FasterWhisperEngine(model_dir=tmp_path).recognise([b"\x00\x00" * 1600])


@pytest.mark.django_db
def test_a_dictation_sent_to_an_engine_not_set_up_goes_back_with_the_reason(speak: Any, settings: Any, tmp_path: Path,
                                                                           patient: Any, encounter: Any,
                                                                           dictating_provider: Any):
    settings.SPEECH_ENGINE = "faster-whisper"
    settings.WHISPER_MODEL_DIR = str(tmp_path / "not-there")
    uploaded = do_upload_dictation(patient, encounter=encounter, document_type=DocumentType.PROGRESS_NOTE,
                                   priority="routine", author=dictating_provider.provider,
                                   upload=SimpleUploadedFile("n.wav", speak().read_bytes()),
                                   acting_user=dictating_provider)
    with pytest.raises(ChartdeskError, match="No faster-whisper model in"):
        do_transcribe_dictation(uploaded, acting_user=dictating_provider)
    uploaded.refresh_from_db()
    assert uploaded.status == "uploaded" and uploaded.document is None
    assert uploaded.recognition_error.startswith("No faster-whisper model in")


def test_the_transcribe_command_offers_the_engine_and_reports_what_is_missing(speak: Any, settings: Any):
    settings.WHISPER_MODEL_DIR = ""
    with pytest.raises(CommandError, match="set CHARTDESK_WHISPER_MODEL_DIR"):
        call_command("transcribe", str(speak()), "--engine", "faster-whisper")
