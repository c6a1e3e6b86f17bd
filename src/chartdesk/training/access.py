"""Reads of the training records: who may see which course, enrollment, attempt and key.

An instructor sees only the courses they teach; a student only their own enrollments and attempts.
Missing and forbidden answer the same NotFound. Training records hold no patient data, so these
reads are not audited as patient views; the answer key is (it is what a student must not see).
"""

from __future__ import annotations

from typing import Any

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import NotFound
from chartdesk.training.actions import TAKE, TEACH
from chartdesk.training.catalogue import find_exercise
from chartdesk.training.grading import Exercise
from chartdesk.training.models import Attempt, AuthoredExercise, Course, Enrollment, Exam, ExamSitting


def access_course_by_id(user: Any, course_id: int) -> Course:
    """A course its instructor teaches."""
    course = Course.objects.filter(pk=course_id).first() if user.has_perm(TEACH) else None
    if course is None or course.instructor_id != user.pk:
        raise NotFound("course")
    return course


def access_enrollment_by_id(user: Any, enrollment_id: int) -> Enrollment:
    """A student's own enrollment."""
    enrollment = (Enrollment.objects.select_related("course").filter(pk=enrollment_id).first()
                  if user.has_perm(TAKE) else None)
    if enrollment is None or enrollment.student_id != user.pk:
        raise NotFound("enrollment")
    return enrollment


def access_attempt_by_id(user: Any, attempt_id: int) -> Attempt:
    """An attempt: its student's own, or one in a course its instructor teaches."""
    attempt = Attempt.objects.select_related("enrollment__course").filter(pk=attempt_id).first()
    if attempt is None:
        raise NotFound("attempt")
    if user.has_perm(TAKE) and attempt.enrollment.student_id == user.pk:
        return attempt
    if user.has_perm(TEACH) and attempt.enrollment.course.instructor_id == user.pk:
        return attempt
    raise NotFound("attempt")


def access_exercise_by_id(exercise_id: str, version: int | None = None, *, retired: bool = False) -> Exercise:
    """A shipped or authored exercise of an installed kind (an authored one at `version`, else its latest);
    retired ones only with `retired=True` (an attempt or exam made before the retirement)."""
    exercise = find_exercise(exercise_id, version, retired=retired)
    if exercise is None:
        raise NotFound("exercise")
    return exercise


def access_attempt_exercise(attempt: Attempt) -> Exercise:
    """The exercise an attempt is graded against: the version it was started on."""
    return access_exercise_by_id(attempt.exercise_id, attempt.exercise_version, retired=True)


def access_key_by_exercise(user: Any, exercise_id: str, version: int | None = None) -> Exercise:
    """The exercise with its answer key: instructors only; each look is on the audit trail."""
    if not user.has_perm(TEACH):
        raise NotFound("exercise")
    exercise = access_exercise_by_id(exercise_id, version, retired=True)
    record_event(AuditAction.VIEW, user=user, object_type="training_key", object_id=exercise.id,
                 detail={"version": exercise.version} if exercise.version else None)
    return exercise


def access_authored_by_id(user: Any, authored_id: int) -> AuthoredExercise:
    """An authored exercise, for its author (the one who may edit and retire it)."""
    authored = AuthoredExercise.objects.filter(pk=authored_id).first() if user.has_perm(TEACH) else None
    if authored is None or authored.author_id != user.pk:
        raise NotFound("exercise")
    return authored


def access_exam_by_id(user: Any, exam_id: int) -> tuple[Exam, Enrollment | None]:
    """An exam: for its course's instructor (enrollment None), or a student of its course (their
    enrollment in it)."""
    exam = Exam.objects.select_related("course").filter(pk=exam_id).first()
    if exam is None:
        raise NotFound("exam")
    if user.has_perm(TEACH) and exam.course.instructor_id == user.pk:
        return exam, None
    enrollment = (Enrollment.objects.filter(course_id=exam.course_id, student_id=user.pk).first()
                  if user.has_perm(TAKE) else None)
    if enrollment is None:
        raise NotFound("exam")
    return exam, enrollment


def access_sitting_by_id(user: Any, sitting_id: int) -> ExamSitting:
    """A sitting: its student's own, or one of an exam of a course its instructor teaches."""
    sitting = (ExamSitting.objects.select_related("exam__course", "enrollment__student")
               .filter(pk=sitting_id).first())
    if sitting is None:
        raise NotFound("exam sitting")
    if user.has_perm(TAKE) and sitting.enrollment.student_id == user.pk:
        return sitting
    if user.has_perm(TEACH) and sitting.exam.course.instructor_id == user.pk:
        return sitting
    raise NotFound("exam sitting")


def gradebook_rows(course: Course) -> list[Attempt]:
    """Every graded attempt of the course, for the gradebook and its CSV."""
    return list(Attempt.objects.filter(enrollment__course=course).select_related("enrollment__student")
                .order_by("enrollment__student__username", "exercise_id", "started_at"))
