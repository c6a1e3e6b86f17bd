"""faster-whisper (Whisper on CTranslate2) as a selectable engine, with a model the site provides.

No registry package ships Whisper's weights, and nothing may be downloaded at run time, so this engine
reads a model directory the site puts in place (a faster-whisper/CTranslate2 model folder holding
`model.bin`, `config.json`, `tokenizer.json`, `vocabulary.*`; converted once with CTranslate2's
`ct2-transformers-converter` on a machine that may fetch it) and names in CHARTDESK_WHISPER_MODEL_DIR.
The library itself is the optional extra `chartdesk[whisper]`. Choose it with
CHARTDESK_SPEECH_ENGINE=faster-whisper; CHARTDESK_WHISPER_DEVICE is cpu (default), cuda or auto.

Everything missing (the setting, the folder, the library) is an EngineUnavailable naming what to fix:
the dictation goes back to "uploaded" with that reason, and "Recognise again" retries once it is fixed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings

from chartdesk.core.errors import ChartdeskError
from chartdesk.transcription.engines import Recognition, Word

MODEL_FILE = "model.bin"


class EngineUnavailable(ChartdeskError):
    """The engine cannot run here yet; the message says what the site must put in place (shown as it is
    by the desk's queue and by `chartdesk transcribe`)."""


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, model_dir: str | Path | None = None, device: str | None = None) -> None:
        configured = model_dir or settings.WHISPER_MODEL_DIR
        self.model_dir = Path(configured) if configured else None
        self.device = device or settings.WHISPER_DEVICE
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        if self.model_dir is None:
            raise EngineUnavailable("The faster-whisper engine needs a model folder: set CHARTDESK_WHISPER_MODEL_DIR "
                                    "(docs/transcription.md, \"Other engines\").")
        if not (self.model_dir / MODEL_FILE).is_file():
            raise EngineUnavailable(f"No faster-whisper model in {self.model_dir} ({MODEL_FILE} is missing); "
                                    "put a CTranslate2 Whisper model folder there.")
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise EngineUnavailable("The faster-whisper library is not installed: install the optional extra "
                                    "chartdesk[whisper].") from None
        # local_files_only: a model name instead of a folder must never turn into a download.
        self._model = WhisperModel(str(self.model_dir), device=self.device, local_files_only=True)
        return self._model

    def recognise(self, pcm_chunks: Iterable[bytes]) -> Recognition:
        import numpy

        model = self._load()
        # Whisper reads the whole recording as 32-bit floats (an hour is about 230 MB).
        samples = numpy.frombuffer(b"".join(pcm_chunks), dtype="<i2").astype(numpy.float32) / 32768.0
        segments, _ = model.transcribe(samples, language="en", word_timestamps=True)
        words = [Word(word.word.strip(), float(word.start), float(word.end))
                 for segment in segments for word in (segment.words or []) if word.word.strip()]
        return Recognition(" ".join(word.word for word in words), words, self.name)
