"""Filing drills: terminal-digit and middle-digit order, and misfiles, graded by the filing desk's own order."""

import itertools

import pytest

from chartdesk.filing.order import sort_record_numbers
from chartdesk.training.grading import AnswerError, Exercise, grade, shipped_exercises
from chartdesk.training.kinds import filing


def exercises():
    return [exercise for exercise in shipped_exercises().values() if exercise.kind == "filing"]


def drill(**key):
    setup = {"tasks": [
        {"id": "t1", "type": "order", "system": "terminal-digit", "numbers": ["34-56-78", "12-34-56", "99-01-78"]},
        {"id": "m1", "type": "misfiles", "system": "terminal-digit",
         "shelf": ["11-22-40", "12-22-40", "50-50-07", "10-23-40", "11-23-40"]},
    ]}
    return Exercise("filing-test", "filing", "Test", ("AHIMA RHIT Domain 1",), "", setup,
                    key or filing.key_from_setup(setup))


def test_the_key_is_the_filing_desks_terminal_digit_order():
    exercise = drill()
    assert exercise.key["t1"] == ["12-34-56", "99-01-78", "34-56-78"]
    assert exercise.key["t1"] == sort_record_numbers(exercise.setup["tasks"][0]["numbers"], "terminal-digit")
    assert exercise.key["m1"] == ["50-50-07"]


def test_the_right_answer_scores_full_marks():
    exercise = drill()
    assert grade(exercise, {"t1": ["12-34-56", "99-01-78", "34-56-78"], "m1": ["50-50-07"]}).score == 1.0


def test_a_partly_right_order_earns_the_share_of_folders_in_order_and_explains_the_rule():
    exercise = drill()
    result = grade(exercise, {"t1": ["99-01-78", "12-34-56", "34-56-78"], "m1": ["50-50-07"]})
    order = result.items[0]
    assert order.earned == round(2 / 3, 4)
    assert "Terminal-digit rule" in order.explanation
    assert "You filed 99-01-78 (primary 78, secondary 01, tertiary 99) before 12-34-56" in order.explanation
    assert "Right order: 12-34-56, 99-01-78, 34-56-78." in order.explanation
    assert result.earned == 0.6667 + 1.0 and result.score == 0.8334


def test_wrong_misfiles_score_nothing_and_name_the_real_one():
    exercise = drill()
    result = grade(exercise, {"t1": ["12-34-56", "99-01-78", "34-56-78"], "m1": ["11-22-40"]})
    misfiles = result.items[1]
    assert misfiles.earned == 0.0
    assert "Misfiled: 50-50-07. Missed: 50-50-07. Filed correctly, not misfiles: 11-22-40." in misfiles.explanation


def test_numbers_are_compared_by_their_digits_not_their_dashes():
    assert grade(drill(), {"t1": ["123456", "99 01 78", "34-56-78"], "m1": ["505007"]}).score == 1.0


@pytest.mark.parametrize(("answer", "message"), [
    ({"t1": ["12-34-56"], "m1": []}, "task t1: the answer must list each of the 3 numbers exactly once"),
    ({"t1": ["12-34-56", "99-01-78", "34-56-78"]}, "the answer has no list for task 'm1'"),
    ({"t1": "12-34-56", "m1": []}, "task t1 must be a list"),
    ({"t1": ["12-34-56", "99-01-78", "34-56-7X"], "m1": []}, "'34-56-7X' is not a record number"),
    ({"t1": ["12-34-56", "99-01-78", "34-56-78"], "m1": ["00-00-01"]}, "task m1: 000001 is not on the shelf"),
    ({"t1": [], "m1": [], "t9": []}, "the exercise has no task 't9'"),
])
def test_answers_not_in_the_format_are_refused_naming_the_problem(answer, message):
    with pytest.raises(AnswerError) as refused:
        grade(drill(), answer)
    assert message in str(refused.value)


def _sorted_without(shelf, removed, system):
    kept = [number for position, number in enumerate(shelf) if position not in removed]
    return kept == sort_record_numbers(kept, system)


def test_at_least_ten_exercises_ship_each_key_from_the_filing_order_and_scoring_full_marks():
    assert len(exercises()) >= 10
    for exercise in exercises():
        assert exercise.competencies
        assert dict(exercise.key) == filing.key_from_setup(exercise.setup), exercise.id
        assert grade(exercise, exercise.key).score == 1.0
        for task in exercise.setup["tasks"]:
            if task["type"] != "misfiles":
                continue
            # The misfiles are the only smallest set whose removal leaves the shelf in order.
            size = len(exercise.key[task["id"]])
            shelf = task["shelf"]
            fixes = [removed for count in range(size + 1)
                     for removed in itertools.combinations(range(len(shelf)), count)
                     if _sorted_without(shelf, set(removed), task["system"])]
            assert len(fixes) == 1 and len(fixes[0]) == size, exercise.id


def test_filing_is_drilled_on_the_training_screen():
    assert filing.FILING.build is None and filing.FILING.answer_from_records is None
    assert filing.FILING.start_url is None
