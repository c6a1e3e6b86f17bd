"""Transcription: graded by word accuracy against the dictated script, done in the real editor."""

import pytest
from django.urls import reverse

from chartdesk.training.grading import AnswerError, grade, shipped_exercises
from chartdesk.training.kinds import transcription
from chartdesk.transcription import engines
from chartdesk.transcription.editor import do_not_use_flags
from chartdesk.transcription.models import Dictation, DictationStatus
from tests.support import factories
from tests.transcription.conftest import ScriptedEngine, require_audio_tools


def exercise():
    return shipped_exercises()["transcription-05"]


def test_at_least_ten_exercises_ship_and_each_key_scores_full_marks():
    shipped = [drill for drill in shipped_exercises().values() if drill.kind == "transcription"]
    assert len(shipped) >= 10
    for drill in shipped:
        assert drill.competencies
        assert drill.key["text"] == drill.setup["script"]
        assert not do_not_use_flags(drill.key["text"]), drill.id
        assert grade(drill, drill.key).score == 1.0


def test_case_and_punctuation_are_not_errors():
    text = exercise().key["text"].upper().replace(".", "").replace(",", " ;")
    assert grade(exercise(), {"text": text}).score == 1.0


def test_a_transcript_with_errors_earns_its_word_accuracy_and_names_each_error():
    key = exercise().key["text"]
    assert key.startswith("Subjective the patient slept well and denies nausea.")
    typed = key.replace("slept well", "slept").replace("denies nausea", "denies vomiting") + " Thanks."
    result = grade(exercise(), {"text": typed})
    words = len(transcription.words_of(key).split())
    accuracy = result.items[0]
    assert accuracy.earned == round(4 * (1 - 3 / words), 4) and accuracy.possible == 4.0
    assert ("1 substituted, 1 left out and 1 added of 39 dictated words. Errors: left out \"well\"; "
            "\"vomiting\" for \"nausea\"; added \"thanks\".") in accuracy.explanation
    assert result.items[1].earned == 1.0


def test_do_not_use_abbreviations_lose_their_point_with_the_joint_commissions_advice():
    typed = exercise().key["text"].replace("twice daily", "b.i.d. q.d.")
    result = grade(exercise(), {"text": typed})
    flags = result.items[1]
    assert flags.earned == 0.0
    assert "q.d. on line 1 (write \"daily\")" in flags.explanation


def test_an_empty_or_unrelated_transcript_scores_nothing_for_accuracy():
    assert grade(exercise(), {"text": ""}).items[0].earned == 0.0
    wrong = grade(exercise(), {"text": "lorem ipsum " * 40})
    assert wrong.items[0].earned == 0.0 and wrong.score == round(1 / 5, 4)


@pytest.mark.parametrize(("answer", "message"), [
    ({}, "the answer has no 'text'"),
    ({"text": ["Subjective"]}, "'text' must be the transcript as a string"),
])
def test_answers_not_in_the_format_are_refused_naming_the_problem(answer, message):
    with pytest.raises(AnswerError) as refused:
        grade(exercise(), answer)
    assert message in str(refused.value)


@pytest.fixture
def scripted(settings):
    engines.register_engine("scripted", ScriptedEngine)
    settings.SPEECH_ENGINE = "scripted"
    settings.DICTATION_SYNC_SECONDS = 0  # recognised by the background job, as a long dictation is


@pytest.mark.django_db
def test_transcribing_in_the_real_editor_as_a_transcriptionist_earns_full_marks(scripted, run_jobs, client_for):
    require_audio_tools()
    drill = exercise()
    transcription.build(drill)
    dictation = Dictation.objects.get()
    assert dictation.duration_seconds > 5  # the script was spoken, not a stub
    assert transcription.answer_from_records(drill) == {"text": ""}  # no draft before recognition
    assert run_jobs() == 1
    dictation.refresh_from_db()
    assert dictation.status == DictationStatus.DRAFT_READY
    draft = transcription.answer_from_records(drill)
    assert draft == {"text": ScriptedEngine.text}
    assert grade(drill, draft).score < 0.5

    client = client_for(factories.make_user("transcriptionist"))
    assert client.get(transcription.start_url(drill)).status_code == 200
    editor = reverse("transcription-editor", kwargs={"dictation_id": dictation.pk})
    response = client.post(editor, {"text": drill.key["text"], "revision": dictation.document.revision})
    assert response.status_code == 302
    answer = transcription.answer_from_records(drill)
    assert answer == {"text": drill.key["text"]}
    assert grade(drill, answer).score == 1.0


@pytest.mark.django_db
def test_a_coder_cannot_open_the_editor_so_the_draft_stays_the_machines(scripted, run_jobs, client_for):
    require_audio_tools()
    drill = exercise()
    transcription.build(drill)
    run_jobs()
    dictation = Dictation.objects.select_related("document").get()
    response = client_for(factories.make_user("coder")).post(
        reverse("transcription-editor", kwargs={"dictation_id": dictation.pk}),
        {"text": drill.key["text"], "revision": dictation.document.revision})
    assert response.status_code == 403
    assert transcription.answer_from_records(drill) == {"text": ScriptedEngine.text}
