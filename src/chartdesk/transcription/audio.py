"""Dictation audio: spooled to disk while hashed, checked by its content with ffprobe, stored by its
SHA-256 beside the chart's other files (charts.files), and decoded by ffmpeg for recognition.

Audio files run to tens of megabytes, so nothing here holds one whole in memory: the upload is
copied chunk by chunk into a temporary file (hashing as it goes), and decoding streams the stored
file through ffmpeg's standard input and reads the samples back in chunks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings

from chartdesk.charts import files
from chartdesk.core.errors import ChartdeskError

SAMPLE_RATE = 16_000  # what speech models are trained on; ffmpeg resamples everything to it
CHUNK = 1024 * 1024
PROBE_SECONDS = 30

AUDIO_EMPTY = "The audio file {name} is empty."
AUDIO_TOO_LARGE = "The audio file {name} is over {limit}, the largest dictation accepted."
AUDIO_EXTENSION = ("The file {name} is not a WAV, MP3, M4A/AAC, OGG/Opus or WebM/Opus recording "
                   "(its name ends in {extension}).")
AUDIO_NOT_AUDIO = "The file {name} is not a recording ffmpeg can read: {problem}."
AUDIO_WRONG_FORMAT = ("The file {name} holds {found}; only WAV, MP3, M4A/AAC, OGG/Opus and WebM/Opus recordings "
                      "are accepted.")
AUDIO_NO_SOUND = "The file {name} has no audio track."
AUDIO_SILENT_LENGTH = "The recording {name} lasts no time at all."
AUDIO_NAME_MISMATCH = "The file {name} is named as {named} but holds {found}: is it the right file?"
FFMPEG_MISSING = "ffmpeg is not installed on the server, so dictation audio cannot be read (see README set-up)."
STORED_AUDIO_CHANGED = "the stored audio does not match its checksum"

# ffprobe's container name -> (what a person calls it, the extensions it may carry, accepted codecs)
FORMATS: dict[str, tuple[str, tuple[str, ...], frozenset[str]]] = {
    "wav": ("WAV", ("wav", "wave"), frozenset({"pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_u8", "pcm_f32le",
                                               "pcm_mulaw", "pcm_alaw", "adpcm_ms", "adpcm_ima_wav"})),
    "mp3": ("MP3", ("mp3",), frozenset({"mp3"})),
    "mov,mp4,m4a,3gp,3g2,mj2": ("M4A", ("m4a", "mp4", "aac"), frozenset({"aac", "alac"})),
    "aac": ("AAC", ("aac", "m4a"), frozenset({"aac"})),
    "ogg": ("OGG", ("ogg", "oga", "opus"), frozenset({"opus", "vorbis"})),
    # What browsers' MediaRecorder gives (Chromium, Firefox): the desk's "Record" control uploads it.
    "matroska,webm": ("WebM", ("webm", "weba"), frozenset({"opus", "vorbis"})),
}
EXTENSIONS = {extension for _, extensions, _ in FORMATS.values() for extension in extensions}


@dataclass(frozen=True)
class CheckedAudio:
    """An audio upload that passed every check, spooled to `spool` (closed by the caller)."""

    name: str
    spool: IO[bytes]
    sha256: str
    size: int
    format_label: str
    codec: str
    duration_seconds: float

    @property
    def extension(self) -> str:
        return PurePath(self.name).suffix.lower().lstrip(".") or "audio"


def require_ffmpeg() -> None:
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        raise ChartdeskError(FFMPEG_MISSING)


def _clean_name(name: str) -> str:
    return (PurePath(name.replace("\\", "/")).name.strip() or "dictation")[-200:]


def _spool(upload: Any, name: str) -> tuple[IO[bytes], str, int]:
    limit = settings.MAX_DICTATION_BYTES
    spool = tempfile.NamedTemporaryFile(suffix=".dictation")  # named: ffprobe needs to seek in it
    digest, size = hashlib.sha256(), 0
    chunks = upload.chunks(CHUNK) if hasattr(upload, "chunks") else iter(lambda: upload.read(CHUNK), b"")
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            spool.close()
            raise ChartdeskError(AUDIO_TOO_LARGE.format(name=name, limit=files.human_size(limit)), field="audio")
        digest.update(chunk)
        spool.write(chunk)
    spool.flush()
    spool.seek(0)
    return spool, digest.hexdigest(), size


def _probe(spool: IO[bytes], name: str) -> dict[str, Any]:
    try:
        finished = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=format_name,duration:stream=codec_type,codec_name",
             "-of", "json", "-i", spool.name],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=PROBE_SECONDS, check=False,
        )
    except subprocess.TimeoutExpired:
        raise ChartdeskError(AUDIO_NOT_AUDIO.format(name=name, problem="reading it took too long"),
                             field="audio") from None
    if finished.returncode != 0:
        problem = (finished.stderr.decode("utf-8", "replace").strip().splitlines() or ["unreadable"])[-1]
        raise ChartdeskError(AUDIO_NOT_AUDIO.format(name=name, problem=problem.removeprefix(f"{spool.name}: ")[:120]),
                             field="audio")
    probed: dict[str, Any] = json.loads(finished.stdout or b"{}")
    return probed


def check_audio(upload: Any, *, name: str | None = None) -> CheckedAudio:
    """Spool, hash and check an uploaded recording; raise ChartdeskError (field "audio") naming the problem.

    The container and codec are read from the content by ffprobe; the name's extension must agree.
    """
    require_ffmpeg()
    display_name = _clean_name(name or getattr(upload, "name", "") or "dictation")
    extension = PurePath(display_name).suffix.lower().lstrip(".")
    if extension not in EXTENSIONS:
        raise ChartdeskError(AUDIO_EXTENSION.format(name=display_name, extension=f".{extension}" if extension
                                                    else "nothing"), field="audio")
    spool, sha256, size = _spool(upload, display_name)
    try:
        if size == 0:
            raise ChartdeskError(AUDIO_EMPTY.format(name=display_name), field="audio")
        probed = _probe(spool, display_name)
        container = probed.get("format", {}).get("format_name", "")
        codecs = [s.get("codec_name", "") for s in probed.get("streams", []) if s.get("codec_type") == "audio"]
        if not codecs:
            raise ChartdeskError(AUDIO_NO_SOUND.format(name=display_name), field="audio")
        known = FORMATS.get(container)
        if known is None or codecs[0] not in known[2]:
            raise ChartdeskError(AUDIO_WRONG_FORMAT.format(name=display_name, found=f"{container} / {codecs[0]}"),
                                 field="audio")
        label, extensions, _ = known
        if extension not in extensions:
            raise ChartdeskError(AUDIO_NAME_MISMATCH.format(name=display_name, named=f".{extension}",
                                                            found=f"{label} ({codecs[0]})"), field="audio")
        duration = _duration(probed, spool)
        if duration <= 0:
            raise ChartdeskError(AUDIO_SILENT_LENGTH.format(name=display_name), field="audio")
    except BaseException:
        spool.close()
        raise
    return CheckedAudio(display_name, spool, sha256, size, label, codecs[0], duration)


def _duration(probed: dict[str, Any], spool: IO[bytes]) -> float:
    try:
        stated = float(probed.get("format", {}).get("duration", "0"))
    except ValueError:
        stated = 0.0
    if stated > 0:
        return stated
    # Streamed formats (ADTS AAC, some OGG, the WebM a browser's MediaRecorder writes) may state no
    # duration, or none ffprobe reads; decode to count it.
    samples = sum(len(chunk) for chunk in _decode(spool.name)) // 2
    return samples / SAMPLE_RATE


def store_audio(checked: CheckedAudio) -> str:
    """Store the spooled recording under its content address; return the stored name."""
    return files.store_stream(checked.spool, sha256=checked.sha256, prefix="dictation", extension=checked.extension)


def _decode(path: str) -> Iterator[bytes]:
    """16 kHz mono 16-bit PCM from any accepted recording on disk, in chunks. ffmpeg reads the file
    itself because MP4/M4A keeps its index at the end, which a pipe cannot seek to."""
    require_ffmpeg()
    process = subprocess.Popen(
        ["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-f", "s16le", "-ac", "1", "-ar", str(SAMPLE_RATE),
         "pipe:1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    # stderr goes to a thread so a chatty ffmpeg never blocks on a full pipe while we read stdout.
    problems: list[bytes] = []
    reader = threading.Thread(target=lambda: problems.append(process.stderr.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    read_to_end = False
    try:
        while chunk := process.stdout.read(CHUNK):
            yield chunk
        read_to_end = True
    finally:
        process.stdout.close()
        if not read_to_end:
            process.kill()  # the caller stopped early (an error, a closed generator)
        returncode = process.wait()
        reader.join()
        process.stderr.close()
    if returncode != 0:
        problem = b"".join(problems).decode("utf-8", "replace").strip()
        raise ChartdeskError(f"ffmpeg could not decode the recording: {problem[-200:] or 'unknown error'}.")


def decode_file(path: str) -> Iterator[bytes]:
    """16 kHz mono PCM of a recording on disk (the `chartdesk transcribe` command)."""
    return _decode(path)


def decode_stored(stored_name: str, expected_sha256: str) -> Iterator[bytes]:
    """16 kHz mono PCM of a stored dictation; refused if its bytes no longer match the recorded SHA-256."""
    from django.core.files.storage import default_storage

    if not hmac.compare_digest(files.sha256_of_stored(stored_name), expected_sha256):
        raise ChartdeskError(f"The dictation cannot be transcribed: {STORED_AUDIO_CHANGED}.")
    try:
        local_path = default_storage.path(stored_name)
    except NotImplementedError:
        local_path = ""
    if local_path:
        yield from _decode(local_path)
        return
    # Object storage has no local path: copy the recording down in chunks first.
    with tempfile.NamedTemporaryFile(suffix=PurePath(stored_name).suffix) as copy:
        with default_storage.open(stored_name, "rb") as stored:
            shutil.copyfileobj(stored, copy, CHUNK)
        copy.flush()
        yield from _decode(copy.name)
