"""Timed practice exams: built on the desk from picks and a seeded draw, the clock (moved by patching
timezone.now, as tests/patients/test_restricted_access.py moves it), late answers refused with nothing
changed, feedback held until the end, mixed kinds graded by their own graders, the gradebook and its CSV,
the audit trail, and who may do what."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.training import actions, exams
from chartdesk.training.grading import shipped_exercises
from chartdesk.training.models import Attempt, Exam, ExamSitting, SittingStatus
from tests.support import factories
from tests.support.factories import MAIN_ROLES


def refused_on_the_desk(role: str) -> int:
    # A system account (interface) has no desk session at all: it is sent to log in.
    return 302 if role == "interface" else 403


class Clock:
    """timezone.now, moved by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def exam_form(clock: Clock, **changes: Any) -> dict[str, Any]:
    return {"title": "Midterm practice", "time_limit_minutes": 30,
            "opens_at": (clock.now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (clock.now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "exercises": "filing-01 2\nroi-01", "draw": "claims 1", "seed": 7} | changes


def build(course: Any, instructor: Any, clock: Clock, picks: list[tuple[str, float]], *, minutes: int = 30,
          draw: dict[str, int] | None = None) -> Exam:
    return exams.do_create_exam(course, title="Practice exam", time_limit_minutes=minutes,
                                opens_at=clock.now - timedelta(hours=1), closes_at=clock.now + timedelta(days=1),
                                picks=picks, draw=draw or {}, seed=1, acting_user=instructor)


def key_answer(exercise_id: str) -> dict[str, Any]:
    from chartdesk.training.grading import key_as_answer

    return key_as_answer(shipped_exercises()[exercise_id])


def test_an_instructor_builds_an_exam_on_the_desk_and_the_draw_is_the_same_from_the_same_seed(
        course, instructor, client_for, clock):
    client = client_for(instructor)
    response = client.post(f"/training/courses/{course.pk}/exams/new/", exam_form(clock))
    exam = Exam.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/training/exam/{exam.pk}/"
    items = list(exam.items.values_list("exercise_id", "kind", "weight"))
    assert items[:2] == [("filing-01", "filing", 2.0), ("roi-01", "roi", 1.0)]
    assert items[2][1] == "claims" and items[2][2] == 1.0
    assert (exam.title, exam.time_limit_minutes, exam.selection["seed"]) == ("Midterm practice", 30, 7)
    client.post(f"/training/courses/{course.pk}/exams/new/", exam_form(clock, title="Again"))
    again = Exam.objects.get(title="Again")
    assert list(again.items.values_list("exercise_id", flat=True)) == [item[0] for item in items]
    assert AuditEvent.objects.filter(object_type="training_exam", action="create").count() == 2
    page = client.get(f"/training/exam/{exam.pk}/").content.decode()
    assert "filing-01" in page and items[2][0] in page


@pytest.mark.parametrize(("changes", "named"), [
    ({"exercises": "no-such-exercise"}, "no exercise &#x27;no-such-exercise&#x27; is open to use"),
    ({"draw": "claims 99"}, "99 claims exercises asked for"),
    ({"draw": "juggling 1"}, "no exercise kind &#x27;juggling&#x27;"),
    ({"exercises": "", "draw": ""}, "pick at least one exercise"),
    ({"time_limit_minutes": 0}, "Time limit"),
    ({"exercises": "filing-01 heavy"}, "the weight &#x27;heavy&#x27; is not a number"),
])
def test_bad_exam_input_is_named_and_nothing_is_built(course, instructor, client_for, clock, changes, named):
    response = client_for(instructor).post(f"/training/courses/{course.pk}/exams/new/", exam_form(clock, **changes))
    assert response.status_code == 400 and named in response.content.decode()
    assert not Exam.objects.exists()


def test_closing_before_opening_is_refused(course, instructor, clock):
    with pytest.raises(ChartdeskError, match="close after it opens"):
        exams.do_create_exam(course, title="Backwards", time_limit_minutes=10, opens_at=clock.now,
                             closes_at=clock.now - timedelta(minutes=1), picks=[("filing-01", 1)], draw={}, seed=1,
                             acting_user=instructor)
    assert not Exam.objects.exists()


@pytest.mark.parametrize("role", [role.slug for role in MAIN_ROLES if role.slug != "instructor"])
def test_only_instructors_build_exams(course, role, client_for, clock):
    user = factories.make_user(role)
    assert client_for(user).post(f"/training/courses/{course.pk}/exams/new/", exam_form(clock)).status_code == \
        refused_on_the_desk(role)
    with pytest.raises(PermissionRefused):
        build(course, user, clock, [("filing-01", 1)])
    assert not Exam.objects.exists()


def test_another_instructor_cannot_build_or_read_an_exam_of_a_course_not_theirs(course, instructor, client_for,
                                                                                 clock):
    exam = build(course, instructor, clock, [("filing-01", 1)])
    other = factories.make_user("instructor", username="prof-other")
    assert client_for(other).post(f"/training/courses/{course.pk}/exams/new/", exam_form(clock)).status_code == 404
    assert client_for(other).get(f"/training/exam/{exam.pk}/").status_code == 404
    with pytest.raises(ChartdeskError, match="courses you teach"):
        build(course, other, clock, [("filing-01", 1)])


@pytest.mark.parametrize("role", [role.slug for role in MAIN_ROLES if role.slug not in ("instructor", "student")])
def test_other_roles_cannot_open_an_exam(course, instructor, role, client_for, clock):
    exam = build(course, instructor, clock, [("filing-01", 1)])
    refused = client_for(factories.make_user(role)).get(f"/training/exam/{exam.pk}/")
    assert refused.status_code == refused_on_the_desk(role)


def test_a_student_takes_only_their_own_courses_exams(enrollment, other_student, instructor, client_for, clock):
    exam = build(enrollment.course, instructor, clock, [("filing-01", 1)])
    outsider = client_for(other_student)
    assert outsider.get(f"/training/exam/{exam.pk}/").status_code == 404
    assert outsider.post(f"/training/exam/{exam.pk}/").status_code == 404
    assert not ExamSitting.objects.exists()


def test_the_time_limit_closes_the_exam_and_a_late_answer_is_refused_changing_nothing(
        enrollment, student, instructor, client_for, clock):
    exam = build(enrollment.course, instructor, clock, [("filing-01", 1), ("roi-01", 1)], minutes=30)
    client = client_for(student)
    started = client.post(f"/training/exam/{exam.pk}/")
    sitting = ExamSitting.objects.get()
    assert started["Location"] == f"/training/sitting/{sitting.pk}/"
    assert (sitting.started_at, sitting.deadline) == (clock.now, clock.now + timedelta(minutes=30))
    filing_item = exam.items.get(exercise_id="filing-01")
    opened = client.post(f"/training/sitting/{sitting.pk}/item/{filing_item.pk}/")
    attempt = Attempt.objects.get()
    assert opened["Location"] == f"/training/attempt/{attempt.pk}/"
    assert (attempt.sitting, attempt.exam_item) == (sitting, filing_item)
    clock.move(minutes=10)
    assert "20 min 00 s" in client.get(f"/training/sitting/{sitting.pk}/").content.decode()
    # A sitting still running has no gradebook rows yet.
    csv_page = client_for(instructor).get(f"/training/courses/{enrollment.course.pk}/gradebook.csv")
    assert "Practice exam" not in csv_page.content.decode()
    clock.move(minutes=20, seconds=1)
    exercise = shipped_exercises()["filing-01"]
    with pytest.raises(ChartdeskError, match="Time is up: Practice exam closed for you at"):
        actions.do_submit_attempt(attempt, exercise, answer=key_answer("filing-01"), acting_user=student)
    attempt.refresh_from_db()
    assert (attempt.submitted_at, attempt.score, attempt.answer) == (None, None, {})
    sitting.refresh_from_db()
    assert (sitting.status, sitting.score, sitting.earned, sitting.possible) == (SittingStatus.CLOSED, 0.0, 0.0, 2.0)
    assert sitting.finished_at == sitting.deadline
    # On the desk too: the item's page refuses and the other item can no longer be opened.
    late = client.post(f"/training/sitting/{sitting.pk}/item/{exam.items.get(exercise_id='roi-01').pk}/")
    assert late.status_code == 302 and Attempt.objects.count() == 1
    assert "answers after the time limit are not accepted" in client.get(late["Location"]).content.decode()
    closes = AuditEvent.objects.filter(object_type="training_exam_sitting").order_by("sequence")
    assert [(event.action, event.detail.get("status")) for event in closes] == [("create", None),
                                                                                ("update", "closed")]


def test_an_exam_cannot_start_before_it_opens_or_twice(enrollment, student, instructor, clock):
    exam = exams.do_create_exam(enrollment.course, title="Later", time_limit_minutes=10,
                                opens_at=clock.now + timedelta(hours=1), closes_at=clock.now + timedelta(hours=2),
                                picks=[("filing-01", 1)], draw={}, seed=1, acting_user=instructor)
    with pytest.raises(ChartdeskError, match="Later opens at"):
        exams.do_start_sitting(exam, enrollment, acting_user=student)
    clock.move(hours=1, minutes=55)
    sitting = exams.do_start_sitting(exam, enrollment, acting_user=student)
    assert sitting.deadline == exam.closes_at  # the closing time comes before the limit
    with pytest.raises(ChartdeskError, match="taken once"):
        exams.do_start_sitting(exam, enrollment, acting_user=student)


def test_mixed_kinds_are_graded_by_their_own_graders_with_feedback_only_after_hand_in(
        enrollment, student, instructor, client_for, clock):
    # coding (built in the sandbox), filing, ROI and claims; weights 2, 1, 1, 1; the claims item unanswered.
    picks = [("coding-op-05", 2.0), ("filing-01", 1.0), ("roi-01", 1.0), ("claims-01", 1.0)]
    exam = build(enrollment.course, instructor, clock, picks)
    sitting = exams.do_start_sitting(exam, enrollment, acting_user=student)
    client = client_for(student)
    answers = {"coding-op-05": {"diagnoses": ["R07.9", "I10"]}, "filing-01": key_answer("filing-01"),
               "roi-01": key_answer("roi-01")}
    attempts = {}
    for exercise_id, answer in answers.items():
        item = exam.items.get(exercise_id=exercise_id)
        attempt = exams.do_start_exam_item(sitting, item, acting_user=student)
        actions.do_submit_attempt(attempt, shipped_exercises()[exercise_id], answer=answer, acting_user=student)
        attempts[exercise_id] = attempt
    held = client.get(f"/training/attempt/{attempts['filing-01'].pk}/").content.decode()
    assert "shown when the exam is handed in or closes" in held and "Score:" not in held
    assert "Score:" not in client.get(f"/training/sitting/{sitting.pk}/").content.decode()
    handed = client.post(f"/training/sitting/{sitting.pk}/submit/")
    assert handed.status_code == 302
    sitting.refresh_from_db()
    # coding-op-05 graded 0.75 by the coding grader (as in test_courses_and_roles), filing and ROI 1, claims 0.
    assert sitting.status == SittingStatus.SUBMITTED
    assert (sitting.earned, sitting.possible, sitting.score) == (2 * 0.75 + 1 + 1, 5.0, round(3.5 / 5, 4))
    assert sitting.competency_scores["AHIMA CCA: Clinical classification systems"] == 0.75
    shown = client.get(f"/training/attempt/{attempts['filing-01'].pk}/").content.decode()
    assert "Score: <strong>1.00</strong>" in shown and "Terminal-digit rule" in shown
    assert "Score: <strong>0.70</strong>" in client.get(f"/training/sitting/{sitting.pk}/").content.decode()
    with pytest.raises(ChartdeskError, match="Time is up"):
        exams.do_start_exam_item(sitting, exam.items.get(exercise_id="claims-01"), acting_user=student)
    events = AuditEvent.objects.filter(object_type="training_exam_sitting").order_by("sequence")
    assert [(event.action, event.detail.get("status"), event.username) for event in events] == [
        ("create", None, "stu-bea"), ("update", "submitted", "stu-bea")]

    teacher = client_for(instructor)
    page = teacher.get(f"/training/courses/{enrollment.course.pk}/").content.decode()
    assert "Practice exam" in page and "0.70" in page
    rows = list(csv.DictReader(io.StringIO(
        teacher.get(f"/training/courses/{enrollment.course.pk}/gradebook.csv").content.decode())))
    exam_rows = [row for row in rows if row["exam"] == "Practice exam"]
    assert [(row["exercise"], row["kind"], row["score"], row["weight"]) for row in exam_rows[:4]] == [
        ("coding-op-05", "coding", "0.75", "2.0"), ("filing-01", "filing", "1.0", "1.0"),
        ("roi-01", "roi", "1.0", "1.0"), ("claims-01", "claims", "0.0", "1.0")]
    total = next(row for row in exam_rows if row["kind"] == "exam")
    assert (total["student"], total["score"], total["earned"], total["possible"]) == ("stu-bea", "0.7", "3.5", "5.0")
    competency = next(row for row in exam_rows if row["kind"] == "exam competency"
                      and row["competencies"] == "AHIMA CCA: Clinical classification systems")
    assert competency["score"] == "0.75"
    # Exam items stay out of the practice means.
    assert not [row for row in rows if row["exam"] == ""]
