"""Timed practice exams: the instructor's exam of a course, and each student's sitting of it.

Kept apart from actions.py (which holds the practice attempts these build on) for size; the writes here
are do_* actions like those, each audited in the main database in its own transaction.

The clock: a sitting runs from its start to its deadline, the time limit after the start or the exam's
closing time, whichever comes first. Nothing runs in the background to close it; every read and write
of a sitting first closes it when its deadline has passed (close_if_due), so an answer after the limit
is refused and the sitting's grade counts unsubmitted items as 0 whoever looks first.

Why one draw for the whole course rather than a draw per student: the gradebook compares students on
the same items (per item and per competency), and every student faces the same weight of each kind.
The draw is made once, from the seed, when the exam is built, and kept as the exam's items.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.locking import lock_row
from chartdesk.core.permissions import require_permission
from chartdesk.training.actions import TAKE, TEACH, do_start_attempt, time_is_up_message
from chartdesk.training.catalogue import current_exercises, find_exercise
from chartdesk.training.grading import Exercise
from chartdesk.training.models import (
    Attempt,
    Course,
    Enrollment,
    Exam,
    ExamItem,
    ExamSitting,
    SittingStatus,
)

MAX_MINUTES = 600
MAX_ITEMS = 50
NOT_YOUR_COURSE = "You can build exams only for courses you teach."


def _choose_items(picks: list[tuple[str, float]], draw: dict[str, int], seed: int) -> list[tuple[Exercise, float]]:
    available = current_exercises()
    chosen: list[tuple[Exercise, float]] = []
    for exercise_id, weight in picks:
        exercise = available.get(exercise_id)
        if exercise is None:
            raise ChartdeskError(f"Exercises: no exercise {exercise_id!r} is open to use.", field="exercises")
        if not 0 < weight <= 100:
            raise ChartdeskError(f"Exercises: the weight of {exercise_id} must be above 0 and at most 100.",
                                 field="exercises")
        if any(exercise.id == taken.id for taken, _ in chosen):
            raise ChartdeskError(f"Exercises: {exercise_id} is listed twice.", field="exercises")
        chosen.append((exercise, weight))
    drawer = random.Random(seed)
    for kind, count in sorted(draw.items()):
        pool = sorted(exercise_id for exercise_id, exercise in available.items()
                      if exercise.kind == kind and all(exercise_id != taken.id for taken, _ in chosen))
        if count > len(pool):
            raise ChartdeskError(f"Draw: {count} {kind} exercises asked for, {len(pool)} available.", field="draw")
        chosen += [(available[exercise_id], 1.0) for exercise_id in drawer.sample(pool, count)]
    if not chosen:
        raise ChartdeskError("Exercises: pick at least one exercise or draw some.", field="exercises")
    if len(chosen) > MAX_ITEMS:
        raise ChartdeskError(f"Exercises: at most {MAX_ITEMS} items, not {len(chosen)}.", field="exercises")
    return chosen


def do_create_exam(course: Course, *, title: str, time_limit_minutes: int, opens_at: datetime, closes_at: datetime,
                   picks: list[tuple[str, float]], draw: dict[str, int], seed: int, acting_user: Any) -> Exam:
    """An exam of the course: the items picked by hand (each with its weight), then `draw` (count per kind)
    drawn from `seed`, weight 1 each; one draw for every student."""
    require_permission(acting_user, TEACH, "build exams")
    if course.instructor_id != acting_user.pk:
        raise ChartdeskError(NOT_YOUR_COURSE)
    title = title.strip()
    if not title:
        raise ChartdeskError("Title: give the exam a title.", field="title")
    if not 1 <= time_limit_minutes <= MAX_MINUTES:
        raise ChartdeskError(f"Time limit: between 1 and {MAX_MINUTES} minutes.", field="time_limit_minutes")
    if closes_at <= opens_at:
        raise ChartdeskError("Closes: the exam must close after it opens.", field="closes_at")
    items = _choose_items(picks, draw, seed)
    with transaction.atomic():
        exam = Exam.objects.create(
            course=course, title=title[:200], time_limit_minutes=time_limit_minutes, opens_at=opens_at,
            closes_at=closes_at, created_by=acting_user,
            selection={"picked": [exercise_id for exercise_id, _ in picks], "draw": draw, "seed": seed})
        ExamItem.objects.bulk_create([
            ExamItem(exam=exam, position=position, exercise_id=exercise.id, exercise_version=exercise.version,
                     kind=exercise.kind, weight=weight)
            for position, (exercise, weight) in enumerate(items, start=1)])
        record_event(AuditAction.CREATE, user=acting_user, object_type="training_exam", object_id=exam.pk,
                     detail={"course": course.pk, "title": exam.title, "items": [e.id for e, _ in items],
                             "minutes": time_limit_minutes})
    return exam


def item_exercise(item: ExamItem) -> Exercise:
    """The exercise of an item as the exam was built (an authored one at its version then)."""
    exercise = find_exercise(item.exercise_id, item.exercise_version)
    if exercise is None:
        raise ChartdeskError(f"Exercise {item.exercise_id} of this exam is no longer installed.")
    return exercise


def do_start_sitting(exam: Exam, enrollment: Enrollment, *, acting_user: Any) -> ExamSitting:
    """A student starts the exam: the clock starts now and runs to the limit or the closing time."""
    require_permission(acting_user, TAKE, "take exams")
    if enrollment.student_id != acting_user.pk or enrollment.course_id != exam.course_id:
        raise ChartdeskError("This exam is not in your course.")
    now = timezone.now()
    if now < exam.opens_at:
        raise ChartdeskError(f"{exam.title} opens at {timezone.localtime(exam.opens_at):%Y-%m-%d %H:%M}.")
    if now >= exam.closes_at:
        raise ChartdeskError(f"{exam.title} closed at {timezone.localtime(exam.closes_at):%Y-%m-%d %H:%M}.")
    deadline = min(now + timedelta(minutes=exam.time_limit_minutes), exam.closes_at)
    try:
        with transaction.atomic():
            sitting = ExamSitting.objects.create(exam=exam, enrollment=enrollment, started_at=now, deadline=deadline)
            record_event(AuditAction.CREATE, user=acting_user, object_type="training_exam_sitting",
                         object_id=sitting.pk, detail={"exam": exam.pk, "deadline": deadline.isoformat()})
    except IntegrityError:
        raise ChartdeskError(f"You started {exam.title} already; an exam is taken once.") from None
    return sitting


def close_if_due(sitting: ExamSitting) -> ExamSitting:
    """Close the sitting when its deadline has passed (unsubmitted items score 0)."""
    if sitting.finished or timezone.now() < sitting.deadline:
        return sitting
    return _finish(sitting, SittingStatus.CLOSED, acting_user=None)


def refuse_if_time_is_up(sitting: ExamSitting) -> None:
    """Refuse work on a sitting that is over, closing it first when its time ran out."""
    sitting = close_if_due(sitting)
    if sitting.finished:
        raise ChartdeskError(time_is_up_message(sitting))


def do_start_exam_item(sitting: ExamSitting, item: ExamItem, *, acting_user: Any) -> Attempt:
    """Open one item of the exam: its attempt (set up in the sandbox the first time, like any exercise)."""
    require_permission(acting_user, TAKE, "take exams")
    if sitting.enrollment.student_id != acting_user.pk or item.exam_id != sitting.exam_id:
        raise ChartdeskError("This exam item is not yours.")
    refuse_if_time_is_up(sitting)
    existing = Attempt.objects.filter(sitting=sitting, exam_item=item).first()
    if existing is not None:
        return existing
    try:
        return do_start_attempt(sitting.enrollment, item_exercise(item), acting_user=acting_user, exam_item=item,
                                sitting=sitting)
    except IntegrityError:
        # A second click while the first was setting the item up: one attempt per item (the constraint),
        # and the student goes on with the one the first click made.
        return Attempt.objects.get(sitting=sitting, exam_item=item)


def do_submit_sitting(sitting: ExamSitting, *, acting_user: Any) -> ExamSitting:
    """The student hands the exam in: it is graded (unsubmitted items 0) and the feedback shown."""
    require_permission(acting_user, TAKE, "take exams")
    if sitting.enrollment.student_id != acting_user.pk:
        raise ChartdeskError("You can hand in only your own exam.")
    refuse_if_time_is_up(sitting)
    return _finish(sitting, SittingStatus.SUBMITTED, acting_user=acting_user)


def item_results(sitting: ExamSitting) -> list[tuple[ExamItem, Attempt | None, float]]:
    """Each item with its attempt and score (0 for one not submitted)."""
    attempts = {attempt.exam_item_id: attempt for attempt in sitting.attempts.all()}
    results = []
    for item in sitting.exam.items.all():
        attempt = attempts.get(item.pk)
        score = float(attempt.score) if attempt is not None and attempt.score is not None else 0.0
        results.append((item, attempt, score))
    return results


def _finish(sitting: ExamSitting, status: SittingStatus, *, acting_user: Any) -> ExamSitting:
    with transaction.atomic():
        # Locked: the student's hand-in and a close at the limit may come at once; the first one wins.
        sitting = lock_row(sitting, "exam", "enrollment")
        if sitting.finished:
            return sitting
        earned = possible = 0.0
        by_competency: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for item, _attempt, score in item_results(sitting):
            earned += item.weight * score
            possible += item.weight
            for competency in item_exercise(item).competencies:
                by_competency[competency][0] += item.weight * score
                by_competency[competency][1] += item.weight
        now = timezone.now()
        sitting.status = status
        sitting.finished_at = sitting.deadline if status == SittingStatus.CLOSED else now
        sitting.earned, sitting.possible = round(earned, 4), round(possible, 4)
        sitting.score = round(earned / possible, 4) if possible else 0.0
        sitting.competency_scores = {name: round(got / out, 4) for name, (got, out) in sorted(by_competency.items())}
        sitting.save(update_fields=["status", "finished_at", "earned", "possible", "score", "competency_scores"])
        record_event(AuditAction.UPDATE, user=acting_user, object_type="training_exam_sitting", object_id=sitting.pk,
                     detail={"status": str(status), "score": sitting.score,
                             "by": "time limit" if status == SittingStatus.CLOSED else "student"})
    return sitting


def close_due_sittings(exam: Exam) -> None:
    """Close every sitting of the exam whose time ran out (before the gradebook reads them)."""
    for sitting in exam.sittings.filter(status=SittingStatus.IN_PROGRESS, deadline__lte=timezone.now()):
        close_if_due(sitting)
