"""Speech-recognition engines behind one small interface.

An engine turns 16 kHz mono 16-bit PCM (chunks, as audio.py decodes them) into text and word
timings. The default, pocketsphinx, runs offline with the US English acoustic model, dictionary and
language model that ship inside its PyPI wheel: nothing is downloaded at run time. Another engine
is a class with a `name` and `recognise(chunks)`, registered with `register_engine`; the setting
CHARTDESK_SPEECH_ENGINE picks which one dictations use (docs/transcription.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

from chartdesk.transcription.audio import SAMPLE_RATE


@dataclass(frozen=True)
class Word:
    word: str
    start: float  # seconds from the start of the recording
    end: float

    def as_json(self) -> dict[str, Any]:
        return {"word": self.word, "start": round(self.start, 2), "end": round(self.end, 2)}


@dataclass(frozen=True)
class Recognition:
    text: str
    words: list[Word] = field(default_factory=list)
    engine: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "text": self.text, "words": [word.as_json() for word in self.words]}


class SpeechEngine(Protocol):
    name: str

    def recognise(self, pcm_chunks: Iterable[bytes]) -> Recognition:
        """Text and word timings of 16 kHz mono signed 16-bit little-endian PCM."""


class PocketSphinxEngine:
    """CMU PocketSphinx with the model in its wheel (en-us continuous HMM, cmudict, a general 3-gram LM),
    or the site's own language model where `chartdesk transcription-lm` has built one
    (transcription/language_model.py)."""

    name = "pocketsphinx"
    # Fillers and sentence markers are part of the decoder's search, not words anyone said.
    NOT_WORDS = frozenset({"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]", "[BREATH]", "[COUGH]", "[UM]", "[UH]"})

    def __init__(self, **config: Any) -> None:
        self.config = config
        if "lm" not in config and settings.SPEECH_LANGUAGE_MODEL.is_file():
            self.config["lm"] = str(settings.SPEECH_LANGUAGE_MODEL)
        self._decoder: Any = None

    @property
    def adapted(self) -> bool:
        return "lm" in self.config

    def recognise(self, pcm_chunks: Iterable[bytes]) -> Recognition:
        from pocketsphinx import Decoder

        # Loading the acoustic and language models takes longer than a short dictation: one decoder
        # per engine object, an utterance per recording.
        if self._decoder is None:
            self._decoder = Decoder(samprate=SAMPLE_RATE, **self.config)
        decoder = self._decoder
        frame_rate = int(decoder.config["frate"])
        decoder.start_utt()
        pending = b""
        for chunk in pcm_chunks:
            # Samples are two bytes; a chunk boundary may fall inside one.
            data = pending + chunk
            whole = len(data) - len(data) % 2
            if whole:
                decoder.process_raw(data[:whole], False, False)
            pending = data[whole:]
        decoder.end_utt()
        words = [
            Word(self._spelling(segment.word), segment.start_frame / frame_rate, (segment.end_frame + 1) / frame_rate)
            for segment in decoder.seg()
            if segment.word not in self.NOT_WORDS
        ]
        return Recognition(" ".join(word.word for word in words), words, self.name)

    @staticmethod
    def _spelling(word: str) -> str:
        # cmudict marks alternative pronunciations as "word(2)": the word is the same.
        return word.split("(", 1)[0]


def _faster_whisper() -> SpeechEngine:
    from chartdesk.transcription.whisper_engine import FasterWhisperEngine

    return FasterWhisperEngine()


_ENGINES: dict[str, Callable[[], SpeechEngine]] = {
    "pocketsphinx": PocketSphinxEngine,
    "faster-whisper": _faster_whisper,  # with a model folder the site provides (whisper_engine.py)
}


def register_engine(name: str, factory: Callable[[], SpeechEngine]) -> None:
    """Make an engine available under `name` (call from an AppConfig.ready)."""
    _ENGINES[name] = factory


def engine_names() -> list[str]:
    return sorted(_ENGINES)


def get_engine(name: str | None = None) -> SpeechEngine:
    chosen = name or settings.SPEECH_ENGINE
    if chosen not in _ENGINES:
        raise LookupError(f"No speech engine is called {chosen!r}; known: {', '.join(engine_names())}.")
    return _ENGINES[chosen]()
