"""The site's language model for the default engine: the trigram counts worked by hand, every history's
distribution summing to one, only pronounceable words kept, `chartdesk speech build-lm` reading signed
notes (never drafts or notes entered in error) and code titles, and the engine decoding with it."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.actions import do_create_note, do_retract_document, do_sign_document
from chartdesk.charts.models import DocumentType
from chartdesk.transcription.audio import decode_file
from chartdesk.transcription.engines import PocketSphinxEngine
from chartdesk.transcription.language_model import (
    NothingToLearn,
    build_arpa,
    engine_vocabulary,
    sentences_of,
    write_model,
)

VOCABULARY = {"the", "cat", "sat", "ran", "dog"}


def parse_arpa(text: str) -> dict[int, dict[tuple[str, ...], tuple[float, float]]]:
    grams: dict[int, dict[tuple[str, ...], tuple[float, float]]] = {}
    order = 0
    for line in text.splitlines():
        if line.endswith("-grams:"):
            order = int(line[1])
            grams[order] = {}
        elif order and line and not line.startswith("\\"):
            parts = line.split("\t")
            backoff = float(parts[2]) if len(parts) > 2 else 0.0
            grams[order][tuple(parts[1].split())] = (10 ** float(parts[0]), 10 ** backoff)
    return grams


def test_probabilities_are_the_discounted_counts_worked_by_hand():
    text, stats = build_arpa([["the", "cat", "sat"], ["the", "cat", "ran"]], VOCABULARY)
    grams = parse_arpa(text)
    # 8 tokens counted as unigrams (the, cat, sat, </s>, the, cat, ran, </s>): p(cat) = 2/8.
    assert grams[1][("cat",)][0] == pytest.approx(0.25, abs=1e-4)
    # p(cat | the) = (2 - 0.7) / 2; p(sat | cat) = (1 - 0.7) / 2.
    assert grams[2][("the", "cat")][0] == pytest.approx(0.65, abs=1e-4)
    assert grams[2][("cat", "sat")][0] == pytest.approx(0.15, abs=1e-4)
    # Triples seen once are left out; "<s> the cat" was seen twice.
    assert ("the", "cat", "sat") not in grams[3]
    assert grams[3][("<s>", "the", "cat")][0] == pytest.approx(0.65, abs=1e-4)
    assert stats.sentences == 2 and stats.tokens == 6 and stats.ngrams == (6, 6, 1)


def test_each_history_shares_out_exactly_all_its_probability():
    sentences = [["the", "cat", "sat"], ["the", "dog", "sat"], ["the", "cat", "ran"], ["the", "cat", "sat"]]
    grams = parse_arpa(build_arpa(sentences, VOCABULARY)[0])
    words = [gram[0] for gram in grams[1] if gram != ("<s>",)]

    def bigram(history: str, word: str) -> float:
        if (history, word) in grams[2]:
            return grams[2][(history, word)][0]
        return grams[1][(history,)][1] * grams[1][(word,)][0]

    for history in ("the", "cat", "<s>"):
        assert sum(bigram(history, word) for word in words) == pytest.approx(1.0, abs=1e-3)
    assert math.isclose(sum(grams[1][(word,)][0] for word in words), 1.0, abs_tol=1e-3)


def test_only_words_the_engine_can_pronounce_are_kept_and_unknown_ones_leave_a_gap():
    grams = parse_arpa(build_arpa([["the", "zorblax", "sat"], ["the", "zorblax", "sat"]], VOCABULARY)[0])
    assert ("zorblax",) not in grams[1] and ("<unk>",) not in grams[1]
    assert ("the", "sat") not in grams[2]  # the unknown word is a gap, not removed to join its neighbours
    assert list(sentences_of("Chest pain.  Blood-pressure: 120/80; no fever!")) == [
        ["chest", "pain"], ["blood", "pressure"], ["no", "fever"]]


def test_text_with_no_pronounceable_word_writes_no_model(tmp_path: Path):
    with pytest.raises(NothingToLearn):
        write_model([["zorblax", "quux"]], tmp_path / "lm.bin", VOCABULARY)
    assert not (tmp_path / "lm.bin").exists()


def test_the_engine_decodes_with_a_built_model_and_says_only_its_words(tmp_path: Path, speak: Any):
    spoken = "the patient has chest pain"
    corpus = [sentence.split() for sentence in (spoken, spoken, "the patient has no fever", "chest pain today")]
    model = tmp_path / "site-lm.bin"
    write_model(corpus, model, engine_vocabulary())
    assert model.stat().st_size > 0 and model.with_suffix(".arpa").is_file()
    recognition = PocketSphinxEngine(lm=str(model)).recognise(decode_file(str(speak(spoken))))
    vocabulary = {word for sentence in corpus for word in sentence}
    assert recognition.words and {word.word for word in recognition.words} <= vocabulary


@pytest.mark.django_db
def test_build_lm_learns_from_signed_notes_only_and_is_audited(settings: Any, tmp_path: Path, patient: Any,
                                                               encounter: Any, dictating_provider: Any):
    settings.SPEECH_LANGUAGE_MODEL = tmp_path / "speech" / "domain-lm.bin"
    user = dictating_provider

    def note(text: str) -> Any:
        return do_create_note(patient, document_type=DocumentType.PROGRESS_NOTE, title="Progress", text=text,
                              service_date=date.today(), acting_user=user, encounter=encounter)

    with pytest.raises(CommandError, match="--notes must be at least 1"):
        call_command("speech", "build-lm", "--notes", "0")
    assert not settings.SPEECH_LANGUAGE_MODEL.exists()

    for _ in range(2):
        do_sign_document(note("Ventricular tachycardia resolved after cardioversion."), acting_user=user)
    note("Draft about pneumothorax.")  # unsigned: not learnt
    retracted = do_sign_document(note("Wrong chart about appendicitis."), acting_user=user)
    do_retract_document(retracted, reason="wrong patient", acting_user=user)
    call_command("speech", "build-lm")

    grams = parse_arpa(settings.SPEECH_LANGUAGE_MODEL.with_suffix(".arpa").read_text())
    assert ("ventricular", "tachycardia") in grams[2]
    assert ("pneumothorax",) not in grams[1] and ("appendicitis",) not in grams[1]
    event = AuditEvent.objects.get(object_type="speech_language_model")
    assert event.detail["notes"] == 2 and event.action == "create"
    assert event.detail["ICD-10-CM category titles"] > 0  # the code titles the coding app registers
    assert PocketSphinxEngine().config["lm"] == str(settings.SPEECH_LANGUAGE_MODEL)
