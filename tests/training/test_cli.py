"""`chartdesk training exercises|grade|key`: the same grading as the desk, answers as JSON files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def run(*args: str) -> Any:
    out = io.StringIO()
    call_command("training", *args, stdout=out)
    return json.loads(out.getvalue())


def test_exercises_lists_id_kind_title_and_competencies(db: Any) -> None:
    listed = run("exercises", "--json")
    coding = [row for row in listed if row["kind"] == "coding"]
    assert len(coding) >= 10
    first = next(row for row in coding if row["id"] == "coding-op-01")
    assert first == {"id": "coding-op-01", "kind": "coding", "title": "Diabetes follow-up with hypertension",
                     "competencies": ["AHIMA RHIT: Revenue cycle (coding)", "AAPC CPC: ICD-10-CM"],
                     "version": None}
    assert {row["kind"] for row in run("exercises", "--kind", "coding", "--json")} == {"coding"}


def test_the_key_graded_as_an_answer_scores_one(db: Any, tmp_path: Path) -> None:
    key = run("key", "coding-ip-03", "--json")
    assert key == {"diagnoses": ["K35.80"], "procedures": [{"system": "icd10pcs", "code": "0DTJ4ZZ"}]}
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps(key))
    graded = run("grade", "coding-ip-03", str(answer), "--json")
    assert graded["score"] == 1.0 and graded["exercise"] == "coding-ip-03"
    assert [item["correct"] for item in graded["feedback"]] == [True, True]


def test_a_partly_right_and_a_wrong_answer(db: Any, tmp_path: Path) -> None:
    partly = tmp_path / "partly.json"
    partly.write_text(json.dumps({"diagnoses": ["K35.89"], "procedures": [{"system": "icd10pcs", "code": "0DTJ0ZZ"}]}))
    graded = run("grade", "coding-ip-03", str(partly), "--json")
    assert graded["score"] == 0.5 and (graded["earned"], graded["possible"]) == (1.5, 3.0)
    assert "Right category, wrong specificity" in graded["feedback"][0]["explanation"]
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"diagnoses": ["I10"]}))
    graded = run("grade", "coding-ip-03", str(wrong), "--json")
    assert graded["score"] == 0.0
    assert graded["feedback"][-1]["point"] == "Extra code I10"


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "is not JSON"),
    ('["K35.80"]', "the answer must be a JSON object"),
    ('{"diagnoses": [42]}', "diagnoses: each code must be a non-empty string"),
])
def test_bad_answer_files_are_refused_by_name(db: Any, tmp_path: Path, content: str, message: str) -> None:
    answer = tmp_path / "answer.json"
    answer.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("training", "grade", "coding-ip-03", str(answer), "--json")


def test_an_unknown_exercise_or_missing_file_is_named(db: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No exercise 'nope'"):
        call_command("training", "key", "nope", "--json")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("training", "grade", "coding-ip-03", str(tmp_path / "missing.json"))


def test_demo_accounts_make_an_instructor_a_student_and_a_course_once(db: Any, settings: Any) -> None:
    from chartdesk.accounts.roles import role_of
    from chartdesk.training.models import Course

    settings.MODE = "demo"
    out = io.StringIO()
    call_command("training", "demo-accounts", stdout=out)
    call_command("training", "demo-accounts", stdout=io.StringIO())
    course = Course.objects.get()
    assert course.join_code in out.getvalue()
    assert (role_of(course.instructor), course.instructor.username) == ("instructor", "instructor")
    settings.MODE = "production"
    with pytest.raises(CommandError, match="only in demo mode"):
        call_command("training", "demo-accounts")


def test_a_terminology_key_prints_as_an_answer_and_grades_one(db: Any, tmp_path: Path) -> None:
    key = run("key", "term-abbreviations-1", "--json")
    assert key["answers"]["CHF"] == "congestive heart failure" and len(key["answers"]) == 8
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps(key))
    assert run("grade", "term-abbreviations-1", str(answer), "--json")["score"] == 1.0
    key["answers"]["CHF"] = "chronic heart failure"
    answer.write_text(json.dumps(key))
    graded = run("grade", "term-abbreviations-1", str(answer), "--json")
    assert graded["score"] == 0.875
    assert graded["feedback"][0]["explanation"] == ("Wrong: \u201cchronic heart failure\u201d; CHF is an abbreviation "
                                                   "meaning \u201ccongestive heart failure\u201d.")
