"""Courses, joining and the instructor's view, per role, denied paths included."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.training import actions
from chartdesk.training.grading import shipped_exercises
from chartdesk.training.models import Attempt, Course, Enrollment
from tests.support import factories


def test_an_instructor_creates_a_course_on_the_desk(instructor, client_for):
    client = client_for(instructor)
    response = client.post("/training/courses/", {"title": "HIT 101", "seed": 3, "patients": 5})
    course = Course.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/training/courses/{course.pk}/"
    assert (course.title, course.seed, course.patients, course.instructor) == ("HIT 101", 3, 5, instructor)
    assert len(course.join_code) == 8 and course.join_code.isalnum()
    assert course.join_code.encode() in client.get(f"/training/courses/{course.pk}/").content


def test_bad_course_input_is_named_and_nothing_is_created(instructor, client_for):
    response = client_for(instructor).post("/training/courses/", {"title": "X", "seed": 1, "patients": 9999})
    assert response.status_code == 400 and b"Patients per sandbox" in response.content
    assert not Course.objects.exists()


@pytest.mark.parametrize("role", ["student", "coder", "him_manager", "administrator"])
def test_only_instructors_create_courses(db: Any, role: str, client_for) -> None:
    user = factories.make_user(role)
    assert client_for(user).get("/training/courses/").status_code == 403
    with pytest.raises(PermissionRefused):
        actions.do_create_course(title="Not mine", acting_user=user)
    assert not Course.objects.exists()


@pytest.mark.parametrize("role", ["instructor", "coder", "registrar"])
def test_only_students_join_courses(course, role: str, client_for) -> None:
    user = factories.make_user(role)
    assert client_for(user).post("/training/", {"join_code": course.join_code}).status_code == 403
    assert not Enrollment.objects.exists()


def test_a_wrong_join_code_is_refused_and_changes_nothing(course, student, client_for):
    response = client_for(student).post("/training/", {"join_code": "NOPE-NOPE"})
    assert response.status_code == 400 and b"No course has the join code" in response.content
    assert not Enrollment.objects.exists()


def test_joining_twice_is_refused(enrollment, student):
    with pytest.raises(ChartdeskError, match="already in HIT 120 Coding I"):
        actions.do_join_course(enrollment.course.join_code.lower(), acting_user=student)
    assert Enrollment.objects.count() == 1


def _graded_attempt(enrollment: Any, student: Any, answer: dict[str, Any]) -> Attempt:
    exercise = shipped_exercises()["coding-op-05"]
    attempt = actions.do_start_attempt(enrollment, exercise, acting_user=student)
    actions.do_submit_attempt(attempt, exercise, answer=answer, acting_user=student)
    attempt.refresh_from_db()
    return attempt


def test_the_gradebook_per_student_exercise_and_competency_and_its_csv(enrollment, student, instructor, client_for):
    attempt = _graded_attempt(enrollment, student, {"diagnoses": ["R07.9", "I10"]})
    assert attempt.score == pytest.approx(0.75)
    client = client_for(instructor)
    page = client.get(f"/training/courses/{enrollment.course.pk}/").content.decode()
    assert "stu-bea" in page and "coding-op-05" in page and "AHIMA CCA: Clinical classification systems" in page
    assert "0.75" in page
    exported = client.get(f"/training/courses/{enrollment.course.pk}/gradebook.csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [(row["student"], row["exercise"], row["score"], row["possible"]) for row in rows] == [
        ("stu-bea", "coding-op-05", "0.75", "4.0")]
    assert int(rows[0]["seconds_spent"]) >= 0
    # The instructor opens the attempt and its feedback; the key too.
    assert b"Missed secondary code" in client.get(f"/training/attempt/{attempt.pk}/").content
    assert b"R07.9" in client.get("/training/key/coding-op-05/").content


def test_a_student_sees_no_gradebook_no_key_and_no_other_students_attempt(enrollment, student, other_student,
                                                                          client_for):
    attempt = _graded_attempt(enrollment, student, {"diagnoses": ["R07.9"]})
    other = client_for(other_student)
    assert other.get(f"/training/courses/{enrollment.course.pk}/").status_code == 403
    assert other.get(f"/training/courses/{enrollment.course.pk}/gradebook.csv").status_code == 403
    assert other.get("/training/key/coding-op-05/").status_code == 403
    assert other.get(f"/training/attempt/{attempt.pk}/").status_code == 404
    assert other.post(f"/training/enrollment/{enrollment.pk}/reset/").status_code == 404
    assert other.post(f"/training/enrollment/{enrollment.pk}/exercise/coding-op-01/").status_code == 404
    assert Attempt.objects.count() == 1


def test_an_instructor_sees_only_their_own_courses(enrollment, student):
    stranger = factories.make_user("instructor", username="prof-other")
    from django.test import Client

    client = Client()
    client.force_login(stranger)
    attempt = _graded_attempt(enrollment, student, {"diagnoses": ["R07.9"]})
    assert client.get(f"/training/courses/{enrollment.course.pk}/").status_code == 404
    assert client.get(f"/training/courses/{enrollment.course.pk}/gradebook.csv").status_code == 404
    assert client.get(f"/training/attempt/{attempt.pk}/").status_code == 404
    assert b"HIT 120" not in client.get("/training/courses/").content
