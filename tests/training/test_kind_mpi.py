"""MPI clean-up: graded from the merges the student makes on the real merge screen."""

import pytest
from django.urls import reverse

from chartdesk.patients.models import MergeEvent
from chartdesk.training.grading import AnswerError, grade, shipped_exercises
from chartdesk.training.kinds import mpi
from tests.support import factories


def exercises():
    return [exercise for exercise in shipped_exercises().values() if exercise.kind == "mpi"]


def first():
    return shipped_exercises()["mpi-01"]


def right_answer(exercise):
    return {"merges": [list(duplicate["records"]) for duplicate in exercise.key["duplicates"]]}


def test_at_least_ten_exercises_ship_and_each_key_scores_full_marks():
    assert len(exercises()) >= 10
    for exercise in exercises():
        assert exercise.competencies
        result = grade(exercise, right_answer(exercise))
        assert result.score == 1.0, exercise.id


def test_every_registration_is_told_apart_by_its_demographics():
    # answer_from_records finds each record by name, birth date and sex: two alike would be confused.
    for exercise in exercises():
        people = [(p["given_name"], p["family_name"], p["middle_name"], p["birth_date"], p["sex"])
                  for p in exercise.setup["patients"]]
        assert len(set(people)) == len(people), exercise.id


def test_a_missed_duplicate_loses_its_point_and_names_the_reason():
    exercise = first()
    merges = right_answer(exercise)["merges"][1:]
    result = grade(exercise, {"merges": merges})
    possible = len(exercise.key["duplicates"]) + len(exercise.key["look_alikes"]) + 1
    assert result.possible == possible
    assert result.earned == possible - 1
    missed = result.items[0]
    assert missed.earned == 0.0
    assert missed.explanation.startswith("Not merged: these are one person.")
    assert exercise.key["duplicates"][0]["why"] in missed.explanation


def test_merging_look_alikes_is_an_overlay_and_scores_nothing_for_them():
    exercise = first()
    look_alike = exercise.key["look_alikes"][0]["records"]
    result = grade(exercise, {"merges": [*right_answer(exercise)["merges"], list(look_alike)]})
    overlay = next(item for item in result.items if item.point.startswith("Look-alike"))
    assert overlay.earned == 0.0
    assert "overlay" in overlay.explanation
    assert result.score == round((result.possible - 1) / result.possible, 4)


def test_merging_unrelated_records_and_nothing_else_scores_only_the_look_alikes():
    exercise = first()
    duplicates = {ref for duplicate in exercise.key["duplicates"] for ref in duplicate["records"]}
    paired = duplicates | {ref for look in exercise.key["look_alikes"] for ref in look["records"]}
    loners = [p["ref"] for p in exercise.setup["patients"] if p["ref"] not in paired]
    result = grade(exercise, {"merges": [loners[:2]]})
    assert result.earned == len(exercise.key["look_alikes"])
    assert result.items[-1].point == "No other records merged" and result.items[-1].earned == 0.0
    assert f"{loners[1]} into {loners[0]}" in result.items[-1].explanation


@pytest.mark.parametrize(("answer", "message"), [
    ({}, "the answer has no 'merges'"),
    ({"merges": "P1,P2"}, "'merges' must be a list"),
    ({"merges": [["P1"]]}, "merge 1 must be [survivor, retired]"),
    ({"merges": [["P1", "P99"]]}, "merge 1: unknown 'P99'"),
    ({"merges": [["P1", "P1"]]}, "merge 1: a record cannot be merged into itself"),
    ({"merges": [["P1", "P2"], ["P2", "P3"]]}, "merge 2: P2 was already merged away"),
])
def test_answers_not_in_the_format_are_refused_naming_the_problem(answer, message):
    with pytest.raises(AnswerError) as refused:
        grade(first(), answer)
    assert message in str(refused.value)


@pytest.mark.django_db
@pytest.mark.parametrize("exercise_id", [f"mpi-{number:02d}" for number in range(1, 11)])
def test_merging_on_the_desk_as_the_him_manager_earns_full_marks(exercise_id, client_for):
    exercise = shipped_exercises()[exercise_id]
    mpi.build(exercise)
    manager = factories.make_user("him_manager")
    client = client_for(manager)
    assert client.get(mpi.start_url(exercise)).status_code == 200
    patients = mpi._patients_by_ref(exercise)
    for survivor_ref, retired_ref in right_answer(exercise)["merges"]:
        survivor, retired = patients[survivor_ref], patients[retired_ref]
        survivor.refresh_from_db()
        retired.refresh_from_db()
        response = client.post(
            reverse("patients-merge-compare", kwargs={"patient_id": survivor.pk, "duplicate_id": retired.pk}),
            {"reason": "Training: same person", "confirm": "on", "survivor_revision": survivor.revision,
             "retired_revision": retired.revision},
        )
        assert response.status_code == 302, response.content.decode()[:500]
    answer = mpi.answer_from_records(exercise)
    assert answer == right_answer(exercise)
    assert grade(exercise, answer).score == 1.0


@pytest.mark.django_db
def test_a_registrar_cannot_merge_so_the_sandbox_records_no_merge(client_for):
    exercise = first()
    mpi.build(exercise)
    patients = mpi._patients_by_ref(exercise)
    survivor_ref, retired_ref = right_answer(exercise)["merges"][0]
    survivor, retired = patients[survivor_ref], patients[retired_ref]
    response = client_for(factories.make_user("registrar")).post(
        reverse("patients-merge-compare", kwargs={"patient_id": survivor.pk, "duplicate_id": retired.pk}),
        {"reason": "Same", "confirm": "on", "survivor_revision": survivor.revision,
         "retired_revision": retired.revision},
    )
    assert response.status_code == 403
    assert not MergeEvent.objects.exists()
    answer = mpi.answer_from_records(exercise)
    assert answer == {"merges": []}
    assert grade(exercise, answer).earned == len(exercise.key["look_alikes"]) + 1
