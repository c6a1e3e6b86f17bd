"""The kinds answered on the training screen other than the term drill (ROI, filing, deficiency):
the attempt page takes the answer typed in the kind's format, grades it, and refuses a malformed one
with where the problem is, grading nothing."""

from __future__ import annotations

import json

import pytest
from django.utils.html import escape

from chartdesk.training import actions
from chartdesk.training.grading import shipped_exercises
from chartdesk.training.models import Attempt

FILING_ANSWER = {
    "t1": ["51-17-38", "81-87-38", "98-90-38", "32-64-53", "69-84-53", "49-95-53", "14-03-66", "46-37-66"],
    "t2": ["06-81-06", "08-81-52", "10-81-81", "52-81-02", "55-81-73", "61-81-74", "76-91-87"],
    "m1": ["86-14-81"],
}


@pytest.fixture
def filing_attempt(enrollment, student):
    return actions.do_start_attempt(enrollment, shipped_exercises()["filing-01"], acting_user=student)


def test_the_page_asks_for_the_answer_in_the_kinds_format(filing_attempt, student, client_for):
    page = client_for(student).get(f"/training/attempt/{filing_attempt.pk}/").content.decode()
    assert '<label for="answer">Your answer</label>' in page
    assert "lists every number of an order task in filing order" in page  # the filing kind's help


def test_a_typed_answer_is_graded_and_its_feedback_shown(filing_attempt, student, client_for):
    client = client_for(student)
    response = client.post(f"/training/attempt/{filing_attempt.pk}/", {"answer": json.dumps(FILING_ANSWER)})
    assert response.status_code == 302
    graded = Attempt.objects.get(pk=filing_attempt.pk)
    assert (graded.score, graded.earned, graded.possible) == (pytest.approx(2 / 3, abs=1e-4), 2.0, 3.0)
    assert graded.answer == FILING_ANSWER
    shown = client.get(f"/training/attempt/{filing_attempt.pk}/").content.decode()
    assert "Misfiled: 95-91-82, 06-68-82." in shown


@pytest.mark.parametrize(("typed", "message"), [
    ('{"t1": [', "Not graded: the answer is not JSON (Expecting value, line 1, column 9)"),
    ('["t1"]', "Not graded: the answer must be a JSON object, in the format shown"),
    ("", "Not graded: the answer is not JSON"),
    ('{"t9": []}', "Not graded: "),
])
def test_a_malformed_answer_is_refused_with_its_problem_and_nothing_is_graded(
        filing_attempt, student, client_for, typed, message):
    response = client_for(student).post(f"/training/attempt/{filing_attempt.pk}/", {"answer": typed})
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert Attempt.objects.get(pk=filing_attempt.pk).score is None
    if typed:  # the text typed comes back to be corrected
        assert f">{escape(typed)}</textarea>" in body


def test_another_student_cannot_submit_the_attempt(filing_attempt, other_student, client_for):
    response = client_for(other_student).post(f"/training/attempt/{filing_attempt.pk}/",
                                              {"answer": json.dumps(FILING_ANSWER)})
    assert response.status_code == 404
    assert Attempt.objects.get(pk=filing_attempt.pk).score is None
