"""`chartdesk transcribe FILE --json`: text and word timings from the default offline engine."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def test_transcribe_prints_text_and_word_timings_as_json(speak):
    out = StringIO()
    call_command("transcribe", str(speak(extension="ogg")), "--json", stdout=out)
    answer = json.loads(out.getvalue())
    assert answer["engine"] == "pocketsphinx"
    assert answer["text"] == " ".join(word["word"] for word in answer["words"])
    assert len(answer["words"]) >= 3
    previous_end = 0.0
    for word in answer["words"]:
        assert set(word) == {"word", "start", "end"}
        assert previous_end - 0.05 <= word["start"] < word["end"] < 5.0
        assert not word["word"].startswith(("<", "[")) and "(" not in word["word"]
        previous_end = word["end"]


def test_transcribe_refuses_a_file_that_is_not_a_recording(tmp_path, speak):
    notes = tmp_path / "notes.mp3"
    notes.write_text("not audio")
    with pytest.raises(CommandError, match="notes.mp3 is not a recording ffmpeg can read"):
        call_command("transcribe", str(notes), "--json")


def test_transcribe_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No file"):
        call_command("transcribe", str(tmp_path / "absent.wav"))
