"""The coding kind graded with right, partly right and wrong answers, and done on the real coding
screen in the student's sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from chartdesk.coding.workflow.models import CodingCase
from chartdesk.training import sandbox
from chartdesk.training.grading import AnswerError, grade, shipped_exercises
from chartdesk.training.models import Attempt

ICD = shipped_exercises()


def test_ten_coding_exercises_ship_each_with_competencies_and_a_key() -> None:
    coding = [exercise for exercise in ICD.values() if exercise.kind == "coding"]
    assert len(coding) >= 10
    assert {exercise.setup["setting"] for exercise in coding} == {"inpatient", "outpatient"}
    for exercise in coding:
        assert exercise.competencies and exercise.key["diagnoses"], exercise.id
        assert any(c.startswith(("AHIMA", "AAPC")) for c in exercise.competencies)


def test_the_key_itself_scores_full_marks(db: Any) -> None:
    exercise = ICD["coding-ip-01"]
    result = grade(exercise, {"diagnoses": ["I50.23", "N39.0", "E11.9", "Z79.4"]})
    assert result.score == 1.0
    assert [item.point for item in result.items] == [
        "Principal (first-listed) diagnosis", "Secondary diagnosis N39.0", "Secondary diagnosis E11.9",
        "Secondary diagnosis Z79.4"]
    assert "Acute on chronic systolic (congestive) heart failure" in result.items[0].explanation


def test_partial_credit_for_category_sequencing_and_missed_codes(db: Any) -> None:
    exercise = ICD["coding-ip-01"]
    # Right category with the wrong specificity as principal, a secondary missed, one given first.
    result = grade(exercise, {"diagnoses": ["I50.9", "N39.0", "E11.9"]})
    principal, uti, diabetes, insulin = result.items
    assert (principal.earned, principal.possible) == (1.0, 2.0)
    assert "Right category, wrong specificity" in principal.explanation and "I50.9" in principal.explanation
    assert (uti.earned, diabetes.earned) == (1.0, 1.0)
    assert insulin.earned == 0.0 and "Missed secondary code" in insulin.explanation
    assert "Long-term insulin use" in insulin.explanation
    assert result.score == pytest.approx(3.0 / 5.0)

    sequenced = grade(exercise, {"diagnoses": ["N39.0", "I50.23", "E11.9", "Z79.4"]})
    assert sequenced.items[0].earned == 0.5 and "Sequencing" in sequenced.items[0].explanation
    assert sequenced.items[1].earned == 0.5 and "as the principal diagnosis" in sequenced.items[1].explanation


def test_a_wrong_answer_scores_nothing_and_says_what_was_right(db: Any) -> None:
    exercise = ICD["coding-ip-03"]
    result = grade(exercise, {"diagnoses": ["J18.9"], "procedures": [{"system": "icd10pcs", "code": "0SR9019"}]})
    assert result.score == 0.0
    assert "the principal diagnosis is ICD-10-CM K35.80" in result.items[0].explanation
    assert "Missed procedure" in result.items[1].explanation
    assert result.items[2].point == "Extra code J18.9" and "over-coding" in result.items[2].explanation


def test_a_pcs_code_from_the_right_table_earns_half(db: Any) -> None:
    result = grade(ICD["coding-ip-03"], {"diagnoses": ["K35.80"],
                                         "procedures": [{"system": "icd10pcs", "code": "0DTJ0ZZ"}]})
    assert result.items[1].earned == 0.5 and "table 0DT" in result.items[1].explanation


@pytest.mark.parametrize(("answer", "message"), [
    ({"diagnoses": "I10"}, "diagnoses: must be a list"),
    ({"diagnoses": [""]}, "non-empty string"),
    ({"diagnoses": ["I10; DROP"]}, "is not a code"),
    ({"procedures": [{"system": "snomed", "code": "1"}]}, "procedures[1].system"),
    ({"diagnosis": ["I10"]}, "unknown field(s): diagnosis"),
])
def test_answers_not_in_the_format_are_refused_by_name(db: Any, answer: dict[str, Any], message: str) -> None:
    with pytest.raises(AnswerError) as refused:
        grade(ICD["coding-op-01"], answer)
    assert message in str(refused.value)


def _revision(enrollment: Any, encounter_id: int) -> int:
    with sandbox.sandbox_database(sandbox.sandbox_path(enrollment.sandbox)):
        case = CodingCase.objects.filter(encounter_id=encounter_id).first()
        return case.revision if case else 0


def test_a_student_codes_a_case_on_the_real_coding_screen_and_is_graded(enrollment, student, client_for):
    client = client_for(student)
    started = client.post(f"/training/enrollment/{enrollment.pk}/exercise/coding-op-01/")
    assert started.status_code == 302 and started["Location"].startswith("/coding/work/encounter/")
    screen = started["Location"]
    encounter_id = int(screen.rstrip("/").rsplit("/", 1)[1])
    page = client.get(screen)
    assert page.status_code == 200
    assert "A1c 7.1%" in page.content.decode() and "Training sandbox" in page.content.decode()
    assert client.post(screen + "start/", {"revision": 0}).status_code == 302
    for code in ("E11.9", "I10"):  # Z79.4 left out: a missed secondary code
        client.post(screen + "codes/", {"operation": "add_diagnosis", "code": code,
                                        "revision": _revision(enrollment, encounter_id)})
    attempt = Attempt.objects.get(enrollment=enrollment)
    graded = client.post(f"/training/attempt/{attempt.pk}/")
    assert graded.status_code == 302
    attempt.refresh_from_db()
    assert attempt.answer == {"diagnoses": ["E119", "I10"], "procedures": []}
    assert attempt.score == pytest.approx(3.0 / 4.0)
    shown = client.get(f"/training/attempt/{attempt.pk}/").content.decode()
    assert "Score: <strong>0.75</strong>" in shown
    assert "Missed secondary code" in shown and "Long-term insulin use" in shown
    # Graded once: a second submit is refused, nothing changes.
    assert client.post(f"/training/attempt/{attempt.pk}/").status_code == 400
    attempt.refresh_from_db()
    assert attempt.score == pytest.approx(0.75)
