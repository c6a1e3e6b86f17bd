"""Terminology drills: graded right, partly right and wrong, answered on the training screen, with the
missed terms coming back first (spaced repetition)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone

from chartdesk.training.grading import AnswerError, grade, shipped_exercises
from chartdesk.training.models import Attempt, TermCard

DRILLS = {key: exercise for key, exercise in shipped_exercises().items() if exercise.kind == "terminology"}
PREFIXES = shipped_exercises()["term-prefixes-1"]


def test_ten_drills_ship_covering_prefixes_roots_suffixes_and_abbreviations() -> None:
    assert len(DRILLS) >= 10
    parts = {key.split("-")[1] for key in DRILLS}
    assert parts == {"prefixes", "roots", "suffixes", "abbreviations"}
    assert all(exercise.competencies for exercise in DRILLS.values())


def test_right_close_and_wrong_answers() -> None:
    result = grade(PREFIXES, {"answers": {"brady-": "Slow", "tachy-": "rapid", "hyper-": "slow heartbeat",
                                          "hypo-": "below or under", "macro-": ""}})
    by_term = {item.point: item for item in result.items}
    assert by_term["brady-"].earned == 1.0 and "prefix meaning \u201cslow\u201d" in by_term["brady-"].explanation
    assert by_term["tachy-"].earned == 1.0  # an accepted alternative
    assert by_term["hyper-"].earned == 0.0 and by_term["hyper-"].explanation.startswith("Wrong")
    assert by_term["hypo-"].earned == 0.5 and by_term["hypo-"].explanation.startswith("Close")
    assert by_term["macro-"].earned == 0.0 and by_term["macro-"].explanation.startswith("Not answered")
    assert by_term["oligo-"].explanation.startswith("Not answered")
    assert result.score == pytest.approx(2.5 / 8)


@pytest.mark.parametrize(("answer", "message"), [
    ({"answers": ["slow"]}, "answers: must be an object"),
    ({"answers": {"cardi/o": "heart"}}, "cardi/o is not a term of this drill"),
    ({"answers": {"brady-": 3}}, "answers.brady-: must be text"),
    ({"meanings": {}}, "unknown field(s): meanings"),
])
def test_answers_not_in_the_format_are_refused_by_name(answer: dict[str, Any], message: str) -> None:
    with pytest.raises(AnswerError, match=re.escape(message)):
        grade(PREFIXES, answer)


def _fields(page: str) -> list[tuple[str, str]]:
    return re.findall(r'name="term_(\d+)" value="([^"]+)"', page)


def test_a_drill_on_the_training_screen_moves_the_cards_and_missed_terms_come_first(enrollment, student,
                                                                                     client_for):
    client = client_for(student)
    started = client.post(f"/training/enrollment/{enrollment.pk}/exercise/term-prefixes-1/")
    attempt = Attempt.objects.get()
    assert started["Location"] == f"/training/attempt/{attempt.pk}/"
    fields = _fields(client.get(started["Location"]).content.decode())
    assert len(fields) == 8
    right = {"brady-": "slow", "tachy-": "fast", "hyper-": "above", "hypo-": "below", "macro-": "large",
             "micro-": "small", "poly-": "many"}  # oligo- missed
    posted: dict[str, str] = {}
    for number, term in fields:
        posted[f"term_{number}"] = term
        posted[f"meaning_{number}"] = right.get(term, "big")
    client.post(started["Location"], posted)
    attempt.refresh_from_db()
    assert attempt.score == pytest.approx(7 / 8)
    shown = client.get(started["Location"]).content.decode()
    assert "Score: <strong>0.88</strong>" in shown and "oligo- is a prefix meaning \u201cfew\u201d" in shown
    today = timezone.localdate()
    cards = {card.term: card for card in TermCard.objects.filter(student=student)}
    assert (cards["oligo-"].box, cards["oligo-"].lapses, cards["oligo-"].due_on) == (1, 1, today)
    assert (cards["brady-"].box, cards["brady-"].due_on) == (2, today + datetime.timedelta(days=1))
    # The next round starts with the term missed, due now.
    client.post(f"/training/enrollment/{enrollment.pk}/exercise/term-prefixes-1/")
    again = Attempt.objects.exclude(pk=attempt.pk).get()
    assert _fields(client.get(f"/training/attempt/{again.pk}/").content.decode())[0][1] == "oligo-"


def test_a_drill_answer_with_a_term_not_in_the_drill_is_refused_and_nothing_is_graded(enrollment, student,
                                                                                        client_for):
    client = client_for(student)
    client.post(f"/training/enrollment/{enrollment.pk}/exercise/term-prefixes-1/")
    attempt = Attempt.objects.get()
    response = client.post(f"/training/attempt/{attempt.pk}/", {"term_1": "cardi/o", "meaning_1": "heart"})
    assert response.status_code == 400
    attempt.refresh_from_db()
    assert attempt.score is None and not TermCard.objects.exists()
