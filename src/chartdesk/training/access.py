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
from chartdesk.training.grading import Exercise, kinds, shipped_exercises
from chartdesk.training.models import Attempt, Course, Enrollment


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


def access_exercise_by_id(exercise_id: str) -> Exercise:
    """A shipped exercise of an installed kind."""
    exercise = shipped_exercises().get(exercise_id)
    if exercise is None or exercise.kind not in kinds():
        raise NotFound("exercise")
    return exercise


def access_key_by_exercise(user: Any, exercise_id: str) -> Exercise:
    """The exercise with its answer key: instructors only; each look is on the audit trail."""
    if not user.has_perm(TEACH):
        raise NotFound("exercise")
    exercise = access_exercise_by_id(exercise_id)
    record_event(AuditAction.VIEW, user=user, object_type="training_key", object_id=exercise.id)
    return exercise


def gradebook_rows(course: Course) -> list[Attempt]:
    """Every graded attempt of the course, for the gradebook and its CSV."""
    return list(Attempt.objects.filter(enrollment__course=course).select_related("enrollment__student")
                .order_by("enrollment__student__username", "exercise_id", "started_at"))
