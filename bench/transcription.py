"""Speech recognition: word error rate and real-time factor of the default engine (pocketsphinx).

The sentences are MTSamples transcriptions (the public data folder `mtsamples/mtsamples.jsonl`, CC0
as packaged in kdpsingh/clinspacy), chosen before any measurement by a fixed rule (every 97th note,
its first sentence of 8 to 20 words without digits), spoken by espeak-ng and, where Debian's festvox-us-slt-hts is
installed, by Festival's HTS voice. Nothing here was tuned on these sentences: the engine runs with
the model of its wheel as dictations do. Synthetic speech is not dictation (no accent, noise or
disfluency), so the figures say how the engine handles medical vocabulary, not what a site will see.

- `wer_pocketsphinx`: word errors / reference words over the whole set (jiwer), after lower-casing
  and removing punctuation on both sides; per voice in `by_voice`.
- `rtf_pocketsphinx`: recognition CPU seconds per second of audio (CPU time of this process, so a
  busy shared machine does not inflate it; ffmpeg's decoding runs in its own process and is not
  counted). `rtf_pocketsphinx_wall` is the wall-clock figure, decoding included, on whatever load
  the machine had.

`python -m bench.transcription` runs it alone; CHARTDESK_BENCH_SENTENCES changes the set size and
CHARTDESK_BENCH_MTSAMPLES the data file. Without espeak-ng, ffmpeg or the data it says so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MTSAMPLES = Path(os.environ.get("CHARTDESK_BENCH_MTSAMPLES", REPO.parent / "shared" / "data" / "mtsamples"
                                / "mtsamples.jsonl"))
SENTENCES = int(os.environ.get("CHARTDESK_BENCH_SENTENCES", "20"))
EVERY = 97
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
FESTIVAL_VOICE = "(voice_cmu_us_slt_arctic_hts)"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chartdesk.settings")
    import django

    django.setup()


def normalise(text: str) -> str:
    text = text.lower().replace("-", " ")
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text).split())


def pick_sentences(path: Path, count: int) -> list[dict[str, Any]]:
    """Every EVERY-th note's first sentence of 8-20 words without digits (headings like "SUBJECTIVE:,"
    are dropped); fixed before any measurement."""
    picked = []
    with path.open(encoding="utf-8") as notes:
        for line_number, line in enumerate(notes):
            if line_number % EVERY:
                continue
            note = json.loads(line)
            body = re.sub(r"\b[A-Z][A-Z /&]+:,?", " ", note.get("transcription") or "")
            for sentence in SENTENCE_END.split(" ".join(body.split())):
                words = normalise(sentence).split()
                # Digits are left out: "23" read as "twenty three" is not a recognition error.
                if 8 <= len(words) <= 20 and not re.search(r"\d", sentence):
                    picked.append({"note_id": note["note_id"], "text": sentence.strip(" ,")})
                    break
            if len(picked) == count:
                break
    return picked


def speak_espeak(text: str, wav: Path) -> None:
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), text], check=True, capture_output=True)


def speak_festival(text: str, wav: Path) -> None:
    subprocess.run(["text2wave", "-eval", FESTIVAL_VOICE, "-o", str(wav)], input=text.encode(), check=True,
                   capture_output=True)


def festival_available() -> bool:
    if shutil.which("text2wave") is None:
        return False
    with tempfile.TemporaryDirectory() as folder:
        try:
            speak_festival("test", Path(folder) / "t.wav")
        except subprocess.CalledProcessError:
            return False
    return True


def lm_sentences(path: Path, spoken: list[dict[str, Any]], left_out: dict[str, int]) -> Any:
    """The adapted model's text: every MTSamples note except those the spoken sentences come from (all
    notes whose line is a multiple of EVERY), and except any other note holding one of the spoken
    sentences (MTSamples files one note under several specialties), as a site's past notes would be."""
    from chartdesk.transcription.language_model import sentences_of

    spoken_texts = [normalise(sentence["text"]) for sentence in spoken]
    with path.open(encoding="utf-8") as notes:
        for line_number, line in enumerate(notes):
            if not line_number % EVERY:
                continue
            text = json.loads(line).get("transcription") or ""
            flat = normalise(text)
            if any(sentence in flat for sentence in spoken_texts):
                left_out["copies"] = left_out.get("copies", 0) + 1
                continue
            yield from sentences_of(text)


def _measure(engine: Any, voices: dict[str, Any], sentences: list[dict[str, Any]], folder: Path,
             examples: list[dict[str, Any]]) -> dict[str, Any]:
    import jiwer

    from chartdesk.transcription.audio import SAMPLE_RATE, decode_file

    references: list[str] = []
    hypotheses: list[str] = []
    by_voice: dict[str, Any] = {}
    total_audio = total_cpu = total_wall = 0.0
    for voice, speak in voices.items():
        voice_refs, voice_hyps, voice_audio, voice_cpu = [], [], 0.0, 0.0
        for number, sentence in enumerate(sentences):
            wav = folder / f"{voice}-{number}.wav"
            if not wav.exists():
                speak(sentence["text"], wav)
            pcm = b"".join(decode_file(str(wav)))
            seconds = len(pcm) / 2 / SAMPLE_RATE
            cpu, wall = time.process_time(), time.perf_counter()
            recognition = engine.recognise(decode_file(str(wav)))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            voice_refs.append(normalise(sentence["text"]))
            voice_hyps.append(normalise(recognition.text))
            voice_audio += seconds
            voice_cpu += cpu
            total_wall += wall
            if number < 3:
                examples.append({"voice": voice, "reference": voice_refs[-1], "recognised": voice_hyps[-1]})
        by_voice[voice] = {"wer": round(jiwer.wer(voice_refs, voice_hyps), 4),
                           "rtf": round(voice_cpu / voice_audio, 3), "audio_seconds": round(voice_audio, 1)}
        references += voice_refs
        hypotheses += voice_hyps
        total_audio += voice_audio
        total_cpu += voice_cpu
    return {"wer": round(jiwer.wer(references, hypotheses), 4), "rtf": round(total_cpu / total_audio, 3),
            "rtf_wall": round(total_wall / total_audio, 3), "by_voice": by_voice, "utterances": len(references),
            "reference_words": sum(len(r.split()) for r in references), "audio_seconds": round(total_audio, 1)}


def run() -> dict[str, Any]:
    missing = [tool for tool in ("espeak-ng", "ffmpeg", "ffprobe") if shutil.which(tool) is None]
    if missing or not MTSAMPLES.is_file():
        why = f"{', '.join(missing)} not installed" if missing else f"no MTSamples file at {MTSAMPLES.name}"
        print(f"transcription bench skipped: {why}")
        return {"skipped": why}
    _setup_django()
    from pocketsphinx import get_model_path

    from chartdesk.transcription.engines import PocketSphinxEngine
    from chartdesk.transcription.language_model import write_model

    voices = {"espeak-ng": speak_espeak}
    if festival_available():
        voices["festival-hts-slt"] = speak_festival
    sentences = pick_sentences(MTSAMPLES, SENTENCES)
    examples: list[dict[str, Any]] = []
    adapted_examples: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        general = PocketSphinxEngine(lm=str(Path(get_model_path()) / "en-us" / "en-us.lm.bin"))
        plain = _measure(general, voices, sentences, Path(folder), examples)
        started = time.perf_counter()
        copies: dict[str, int] = {}
        stats = write_model(lm_sentences(MTSAMPLES, sentences, copies), Path(folder) / "domain-lm.bin")
        build_s = round(time.perf_counter() - started, 1)
        adapted = _measure(PocketSphinxEngine(lm=str(Path(folder) / "domain-lm.bin")), voices, sentences,
                           Path(folder), adapted_examples)
    return {
        "wer_pocketsphinx": plain["wer"],
        "wer_pocketsphinx_adapted": adapted["wer"],
        "rtf_pocketsphinx": plain["rtf"],
        "rtf_pocketsphinx_adapted": adapted["rtf"],
        "rtf_pocketsphinx_wall": plain["rtf_wall"],
        "by_voice": plain["by_voice"],
        "by_voice_adapted": adapted["by_voice"],
        "sentences": len(sentences),
        "utterances": plain["utterances"],
        "reference_words": plain["reference_words"],
        "audio_seconds": plain["audio_seconds"],
        "voices": sorted(voices),
        "domain_adaptation": (
            "wer_pocketsphinx: none (the wheel's general US English language model). wer_pocketsphinx_adapted: "
            "a back-off trigram model (transcription/language_model.py, as `chartdesk speech build-lm` makes "
            f"from a site's signed notes) of the {stats.sentences} sentences of every MTSamples note except "
            f"those whose line is a multiple of {EVERY} (the spoken sentences' notes are among them) and "
            f"{copies.get('copies', 0)} other notes holding a spoken sentence (MTSamples files one note under "
            f"several specialties): {stats.tokens} words, {stats.ngrams[0]} in the model's vocabulary, "
            f"built in {build_s} s"),
        "origin": "MTSamples (mtsamples.jsonl, kdpsingh/clinspacy packaging, CC0): every 97th note's first "
                  "sentence of 8-20 words without digits; spoken by espeak-ng and Festival HTS "
                  "(cmu_us_slt_arctic_hts) where installed; not used for tuning",
        "examples": examples,
        "examples_adapted": adapted_examples,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
    sys.exit(0)
