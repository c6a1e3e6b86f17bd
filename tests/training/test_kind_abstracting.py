"""The abstracting kind: every shipped key's MS-DRG is the project's grouper's, answers graded per field
and for the DRG (right, partly right, wrong, refused), and a stay abstracted on the real coding screen
in the student's sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartdesk.coding.workflow.models import CodingCase
from chartdesk.training import sandbox
from chartdesk.training.grading import AnswerError, grade, shipped_exercises
from chartdesk.training.kinds.abstracting import grouped, parse_abstract
from chartdesk.training.models import Attempt

EXERCISES = shipped_exercises()
ABSTRACTING = sorted(e.id for e in EXERCISES.values() if e.kind == "abstracting")

HF_KEY = {
    "diagnoses": [{"code": "I50.23", "poa": "Y"}, {"code": "N39.0", "poa": "Y"}, {"code": "E11.9", "poa": "Y"}],
    "procedures": [], "admission_type": "1", "discharge_status": "01", "drg": "292",
}


def test_at_least_ten_abstracting_exercises_ship_with_competencies() -> None:
    assert len(ABSTRACTING) >= 10
    for exercise_id in ABSTRACTING:
        exercise = EXERCISES[exercise_id]
        assert any(c.startswith("AHIMA") for c in exercise.competencies), exercise_id
        assert exercise.key["diagnoses"] and exercise.key["admission_type"] and exercise.key["discharge_status"]


@pytest.mark.parametrize("exercise_id", ABSTRACTING)
def test_each_shipped_key_drg_is_what_the_grouper_returns(exercise_id: str) -> None:
    exercise = EXERCISES[exercise_id]
    result = grouped(exercise, parse_abstract(exercise.key))
    assert result.grouped
    assert result.drg == exercise.key["drg"]


@pytest.mark.parametrize("exercise_id", ABSTRACTING)
def test_each_key_scores_full_marks(db: Any, exercise_id: str) -> None:
    exercise = EXERCISES[exercise_id]
    assert grade(exercise, exercise.key).score == 1.0


def test_the_right_abstract_earns_every_field_and_names_the_cc(db: Any) -> None:
    result = grade(EXERCISES["abstracting-01"], HF_KEY)
    assert result.score == 1.0
    assert [item.point for item in result.items] == [
        "Principal diagnosis", "Secondary diagnosis N39.0", "Secondary diagnosis E11.9", "POA of I50.23",
        "POA of N39.0", "POA of E11.9", "Admission type", "Discharge disposition", "MS-DRG"]
    drg = result.items[-1]
    assert drg.explanation.startswith("Right: MS-DRG 292 Heart Failure and Shock with CC")
    assert "CC present: N39.0 earns it" in drg.explanation


def test_the_drg_left_out_is_grouped_from_the_answer(db: Any) -> None:
    answer = {name: value for name, value in HF_KEY.items() if name != "drg"}
    assert grade(EXERCISES["abstracting-01"], answer).score == 1.0


def test_a_wrong_poa_on_a_hospital_acquired_condition_moves_the_drg(db: Any) -> None:
    exercise = EXERCISES["abstracting-05"]
    answer = {"diagnoses": [{"code": "I63.412", "poa": "Y"}, {"code": "T83.511A", "poa": "Y"},
                            {"code": "N39.0", "poa": "Y"}],
              "procedures": [], "admission_type": "1", "discharge_status": "62"}
    result = grade(exercise, answer)
    by_point = {item.point: item for item in result.items}
    assert by_point["POA of I63.412"].earned == 1.0
    assert by_point["POA of T83.511A"].earned == 0.0
    assert "Appendix I (POA)" in by_point["POA of T83.511A"].explanation
    assert "Arose on day 4" in by_point["POA of T83.511A"].explanation
    # With POA Y the CAUTI is a CC and the stay groups to 065; the right abstract is 066.
    assert by_point["MS-DRG"].earned == 0.0
    assert by_point["MS-DRG"].explanation.startswith("You gave MS-DRG 065; the stay groups to MS-DRG 066")
    assert "hospital-acquired condition" in by_point["MS-DRG"].explanation
    # Principal 2 + 2 secondaries + 1 of 3 POA + admission type + disposition, of 2+2+3+1+1+2.
    assert result.score == pytest.approx(7.0 / 11.0, abs=1e-4)


def test_partly_right_sequencing_disposition_and_mcc(db: Any) -> None:
    exercise = EXERCISES["abstracting-02"]
    # Respiratory failure sequenced first, ADT disposition copied instead of the discharge summary's.
    answer = {"diagnoses": [{"code": "J96.01", "poa": "Y"}, {"code": "I50.23", "poa": "Y"},
                            {"code": "E11.9", "poa": "Y"}],
              "procedures": [], "admission_type": "1", "discharge_status": "01", "drg": "291"}
    by_point = {item.point: item for item in grade(exercise, answer).items}
    assert by_point["Principal diagnosis"].earned == 0.5
    assert "UHDDS definition" in by_point["Principal diagnosis"].explanation
    assert by_point["Secondary diagnosis J96.01"].earned == 0.5
    assert by_point["Discharge disposition"].earned == 0.0
    assert "06 Home under home health care" in by_point["Discharge disposition"].explanation
    assert by_point["MS-DRG"].earned == 2.0 and "MCC present: J96.01" in by_point["MS-DRG"].explanation


def test_a_wrong_abstract_scores_nothing_and_says_what_is_right(db: Any) -> None:
    exercise = EXERCISES["abstracting-08"]
    answer = {"diagnoses": [{"code": "J18.9", "poa": "N"}], "procedures": ["0DTJ4ZZ"],
              "admission_type": "3", "discharge_status": "20", "drg": "193"}
    result = grade(exercise, answer)
    assert result.score == 0.0
    by_point = {item.point: item for item in result.items}
    assert "the principal diagnosis is ICD-10-CM K92.2" in by_point["Principal diagnosis"].explanation
    assert "Missed secondary diagnosis" in by_point["Secondary diagnosis D62"].explanation
    assert "CC present: D62 earns it" in by_point["MS-DRG"].explanation
    assert {"Extra code J18.9", "Extra code 0DTJ4ZZ"} <= set(by_point)


def test_the_expired_stay_groups_by_discharge_status(db: Any) -> None:
    exercise = EXERCISES["abstracting-07"]
    answer = {**exercise.key, "discharge_status": "01"}
    answer.pop("drg")
    by_point = {item.point: item for item in grade(exercise, answer).items}
    assert by_point["Discharge disposition"].earned == 0.0
    assert by_point["MS-DRG"].explanation.startswith("You gave MS-DRG 282; the stay groups to MS-DRG 285")


@pytest.mark.parametrize(("answer", "message"), [
    ({"diagnoses": "I10"}, "diagnoses: must be a list"),
    ({"diagnoses": ["I10"]}, "diagnoses[1]: must be an object"),
    ({"diagnoses": [{"code": "I10", "poa": "X"}]}, "diagnoses[1].poa"),
    ({"diagnoses": [{"code": "I10; DROP", "poa": "Y"}]}, "is not a code"),
    ({"procedures": "0DTJ4ZZ"}, "procedures: must be a list"),
    ({"admission_type": "7"}, "admission_type: must be one of"),
    ({"discharge_status": "99"}, "discharge_status: '99'"),
    ({"drg": "two"}, "drg: must be an MS-DRG number"),
    ({"diagnosis": []}, "unknown field(s): diagnosis"),
])
def test_answers_not_in_the_format_are_refused_by_name(db: Any, answer: dict[str, Any], message: str) -> None:
    with pytest.raises(AnswerError) as refused:
        grade(EXERCISES["abstracting-01"], answer)
    assert message in str(refused.value)


def test_the_cli_grades_an_abstract_and_prints_its_key(db: Any, capsys: Any, tmp_path: Any) -> None:
    call_command("training", "key", "abstracting-05")
    key = json.loads(capsys.readouterr().out.split(": ", 1)[1])
    assert key["drg"] == "066" and "poa_why" not in key and "why" not in key
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps(key))
    call_command("training", "grade", "abstracting-05", str(answer), "--json")
    assert json.loads(capsys.readouterr().out)["score"] == 1.0


def _revision(enrollment: Any, encounter_id: int) -> int:
    with sandbox.sandbox_database(sandbox.sandbox_path(enrollment.sandbox)):
        case = CodingCase.objects.filter(encounter_id=encounter_id).first()
        return case.revision if case else 0


def test_a_student_abstracts_a_stay_on_the_real_coding_screen(enrollment, student, client_for):
    client = client_for(student)
    started = client.post(f"/training/enrollment/{enrollment.pk}/exercise/abstracting-01/")
    assert started.status_code == 302 and started["Location"].startswith("/coding/work/encounter/")
    screen = started["Location"]
    encounter_id = int(screen.rstrip("/").rsplit("/", 1)[1])
    assert "Urinalysis on admission positive" in client.get(screen).content.decode()
    assert client.post(screen + "start/", {"revision": 0}).status_code == 302
    # The UTI's POA given as N: one POA wrong (a UTI alone is no hospital-acquired condition: still a CC).
    for code, poa in (("I50.23", "Y"), ("N39.0", "N"), ("E11.9", "Y")):
        client.post(screen + "codes/", {"operation": "add_diagnosis", "code": code, "poa": poa,
                                        "revision": _revision(enrollment, encounter_id)})
    # Admission type 3 elective where the stay came through the emergency department: one field wrong.
    client.post(screen + "abstract/", {"admission_type": "3", "admission_source": "1", "discharge_status": "01",
                                       "revision": _revision(enrollment, encounter_id)})
    attempt = Attempt.objects.get(enrollment=enrollment)
    assert client.post(f"/training/attempt/{attempt.pk}/").status_code == 302
    attempt.refresh_from_db()
    assert attempt.answer == {
        "diagnoses": [{"code": "I5023", "poa": "Y"}, {"code": "N390", "poa": "N"}, {"code": "E119", "poa": "Y"}],
        "procedures": [], "admission_type": "3", "discharge_status": "01", "drg": "292"}
    # Principal 2 + secondaries 2 + POA 2 of 3 + disposition 1 + DRG 2, of 11.
    assert attempt.score == pytest.approx(9.0 / 11.0, abs=1e-4)
    shown = client.get(f"/training/attempt/{attempt.pk}/").content.decode()
    assert "3 Elective" in shown and "1 Emergency" in shown and "Appendix I (POA)" in shown


codes = st.sampled_from(["I50.23", "N39.0", "A", "", "I10", "0DTJ4ZZ", "ZZZZZZZZ", "E11.9"])
values = st.recursive(st.none() | st.booleans() | st.integers(-5, 999) | st.floats(allow_nan=False) | codes
                      | st.sampled_from(["Y", "N", "1", "01", "3", "292"]),
                      lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(["code", "poa", "x"]), inner, max_size=3), max_leaves=10)


def test_any_answer_is_graded_or_refused_naming_the_problem(db: Any) -> None:
    exercise = EXERCISES["abstracting-01"]
    fields = st.sampled_from(["diagnoses", "procedures", "admission_type", "discharge_status", "drg", "x"])

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.function_scoped_fixture])
    @given(st.dictionaries(fields, values, max_size=5))
    def check(answer: dict[str, Any]) -> None:
        try:
            result = grade(exercise, answer)
        except AnswerError as refusal:
            assert str(refusal)
        else:
            assert 0.0 <= result.score <= 1.0

    check()
