"""Transcription: transcribe a dictation, graded by word accuracy against the dictated text.

Done on the real desk: build registers the patient and the dictating provider, speaks the exercise's
script with espeak-ng into a recording and uploads it as a dictation (speech recognition then drafts
it, as for any dictation); the student edits the draft in the transcription editor, and
answer_from_records reads the draft's current text.

Word accuracy is 1 - word error rate, measured the way the speech-recognition benchmark measures the
engine (jiwer over lower-cased words without punctuation), so a student and the engine are held to one
yardstick. The editor's do-not-use check (The Joint Commission) is a second, smaller point.

Exercise setup: {"patient": {...}, "author": {"given_name": "Ruth", "family_name": "Adeyemi",
  "credentials": "MD", "npi": "1234567893"}, "document_type": "34117-2", "script": "<the dictated words>"}
Answer (and key): {"text": "<the transcript>"}
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jiwer

from chartdesk.training.grading import AnswerError, Exercise, ExerciseKind, FeedbackItem, Grade, register_kind
from chartdesk.training.kinds._common import field, sandbox_staff
from chartdesk.transcription.editor import do_not_use_flags

ACCURACY_POINTS = 4.0
SHOWN_ERRORS = 6


def words_of(text: str) -> str:
    """Lower-cased words without punctuation (hyphens split words), as the transcription benchmark scores."""
    text = text.lower().replace("-", " ")
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text).split())


def _errors(output: Any) -> list[str]:
    reference, hypothesis = output.references[0], output.hypotheses[0]
    shown = []
    for chunk in output.alignments[0]:
        heard = " ".join(reference[chunk.ref_start_idx:chunk.ref_end_idx])
        typed = " ".join(hypothesis[chunk.hyp_start_idx:chunk.hyp_end_idx])
        if chunk.type == "substitute":
            shown.append(f"\"{typed}\" for \"{heard}\"")
        elif chunk.type == "delete":
            shown.append(f"left out \"{heard}\"")
        elif chunk.type == "insert":
            shown.append(f"added \"{typed}\"")
    return shown


def grade(exercise: Exercise, answer: Mapping[str, Any]) -> Grade:
    text = field(answer, "text", "the answer")
    if not isinstance(text, str):
        raise AnswerError("'text' must be the transcript as a string")
    reference = words_of(str(exercise.key["text"]))
    typed = words_of(text)
    if not typed:
        accuracy, detail = 0.0, "The transcript is empty."
    else:
        output = jiwer.process_words(reference, typed)
        accuracy = max(0.0, 1.0 - output.wer)
        errors = _errors(output)
        detail = (f"{output.substitutions} substituted, {output.deletions} left out and {output.insertions} added "
                  f"of {len(reference.split())} dictated words.")
        if errors:
            detail += " Errors: " + "; ".join(errors[:SHOWN_ERRORS]) + ("; ..." if len(errors) > SHOWN_ERRORS else ".")
    items = [FeedbackItem(
        "Word accuracy", round(ACCURACY_POINTS * accuracy, 4), ACCURACY_POINTS,
        (f"Word accuracy is 1 - word error rate: (substitutions + deletions + insertions) / dictated words, "
         f"after lower-casing and removing punctuation. Yours: {accuracy:.1%}. {detail} "
         f"Dictated: {exercise.key['text']}"),
    )]
    flags = do_not_use_flags(text)
    items.append(FeedbackItem(
        "No do-not-use abbreviations", 0.0 if flags else 1.0, 1.0,
        ("The Joint Commission's do-not-use list: "
         + ("; ".join(f"{flag.found} on line {flag.line} ({flag.advice})" for flag in flags) if flags
            else "none in the transcript")
         + ". Write the words out (unit, daily, morphine sulfate) and never a trailing zero or a bare decimal point."),
    ))
    return Grade(tuple(items))


# ----------------------------------------------------------------------------- on the desk

class SpeechToolsMissing(RuntimeError):
    """The sandbox's machine cannot speak the dictation (espeak-ng missing)."""


def speak(script: str, folder: Path) -> Path:
    """The script spoken by espeak-ng as a WAV file (the voice the transcription tests use)."""
    if shutil.which("espeak-ng") is None:
        raise SpeechToolsMissing("espeak-ng is not installed: transcription exercises need it to make their "
                                 "recordings (apt-get install espeak-ng)")
    wav = folder / "dictation.wav"
    subprocess.run(["espeak-ng", "-s", "140", "-w", str(wav), script], check=True, capture_output=True)
    return wav


def _author(setup: Mapping[str, Any]) -> Any:
    from django.contrib.auth import get_user_model

    from chartdesk.accounts.actions import NewProvider, do_create_user

    author = setup["author"]
    username = f"training-{author['family_name'].lower()}-{author['npi']}"
    existing = get_user_model().objects.filter(username=username).first()
    if existing is not None:
        return existing
    return do_create_user(username, role="provider", password=None, acting_user=sandbox_staff("administrator"),
                          full_name=f"{author['given_name']} {author['family_name']}",
                          provider=NewProvider(author["npi"], author.get("credentials", "")))


def _patient_registration(person: Mapping[str, Any]) -> Any:
    from chartdesk.patients.schemas import PatientRegistration

    return PatientRegistration(given_name=person["given_name"], family_name=person["family_name"],
                               birth_date=date.fromisoformat(person["birth_date"]), sex=person["sex"])


def build(exercise: Exercise) -> None:
    """Register the patient, admit them under the dictating provider, and upload the spoken dictation."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from chartdesk.charts.actions import do_open_encounter
    from chartdesk.patients.actions import do_register_patient
    from chartdesk.transcription.actions import do_queue_recognition, do_upload_dictation, recognise_while_waiting

    setup = exercise.setup
    registrar = sandbox_staff("registrar")
    author = _author(setup)
    patient = do_register_patient(_patient_registration(setup["patient"]), acting_user=registrar)
    encounter = do_open_encounter(patient, encounter_class="inpatient", admit_at=timezone.now() - timedelta(hours=2),
                                  acting_user=registrar, attending=author.provider)
    with tempfile.TemporaryDirectory() as folder:
        recording = SimpleUploadedFile(f"{exercise.id}.wav", speak(setup["script"], Path(folder)).read_bytes())
    dictation = do_upload_dictation(patient, encounter=encounter, document_type=setup["document_type"],
                                    priority="routine", author=author.provider, upload=recording, acting_user=author)
    if recognise_while_waiting(dictation):
        # A short recording is recognised by the upload page while its uploader waits; nobody waits for
        # a build, so recognition goes to the job queue (the worker drafts it inside the sandbox).
        do_queue_recognition(dictation, acting_user=author)


def _dictation(exercise: Exercise) -> Any:
    from chartdesk.transcription.models import Dictation

    person = exercise.setup["patient"]
    dictation = Dictation.objects.filter(
        patient__given_name=person["given_name"], patient__family_name=person["family_name"],
        patient__birth_date=date.fromisoformat(person["birth_date"]),
    ).select_related("document__current_version").order_by("-pk").first()
    if dictation is None:
        raise AnswerError(f"the dictation of exercise {exercise.id} is not in this sandbox")
    return dictation


def answer_from_records(exercise: Exercise) -> dict[str, Any]:
    """The current text of the dictation's draft (empty while recognition has not drafted it)."""
    dictation = _dictation(exercise)
    version = dictation.document.current_version if dictation.document is not None else None
    return {"text": version.text if version is not None else ""}


def start_url(exercise: Exercise) -> str:
    from django.urls import reverse

    return reverse("transcription-queue")


TRANSCRIPTION = register_kind(ExerciseKind(
    name="transcription",
    title="Transcription: transcribe a dictation",
    grade=grade,
    build=build,
    answer_from_records=answer_from_records,
    start_url=start_url,
    answer_help='{"text": "The transcript as typed."}',
))
