"""Writes of the training app: courses, joining, sandboxes, attempts. Each is audited in the main
database; what a student does to patients is audited inside their sandbox by the apps' own actions."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.locking import lock_row
from chartdesk.core.permissions import require_permission
from chartdesk.training import sandbox
from chartdesk.training.grading import AnswerError, Exercise, Grade, grade, kind_of
from chartdesk.training.models import (
    Attempt,
    AuthoredExercise,
    AuthoredVersion,
    Course,
    Enrollment,
    ExamItem,
    ExamSitting,
)

TEACH = "training.teach_courses"
TAKE = "training.take_training"
# No 0/O or 1/I/L: join codes are read aloud and copied from a board.
JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8
MAX_PATIENTS = 200
UNKNOWN_CODE = "No course has the join code {code!r}; check it with your instructor."
ALREADY_JOINED = "You are already in {course}."
NO_KIND_BUILD = "Exercise {exercise} is not done on the desk."
RETIRED = "This exercise is retired; write a new one instead."
TIME_IS_UP = ("Time is up: {exam} closed for you at {deadline}; answers after the time limit are not accepted "
              "and nothing was changed.")


def time_is_up_message(sitting: ExamSitting) -> str:
    deadline = timezone.localtime(sitting.deadline).strftime("%Y-%m-%d %H:%M")
    return TIME_IS_UP.format(exam=sitting.exam.title, deadline=deadline)


def _new_join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def do_create_course(*, title: str, seed: int = 1, patients: int = 12, acting_user: Any) -> Course:
    """An instructor's new course, with a fresh join code; its sandboxes use `seed` and `patients`."""
    require_permission(acting_user, TEACH, "create courses")
    title = title.strip()
    if not title:
        raise ChartdeskError("Title: give the course a title.", field="title")
    if not 1 <= patients <= MAX_PATIENTS:
        raise ChartdeskError(f"Patients: between 1 and {MAX_PATIENTS}, not {patients}.", field="patients")
    if seed < 0:
        raise ChartdeskError("Seed: a whole number from 0.", field="seed")
    with transaction.atomic():
        course = Course.objects.create(title=title[:200], instructor=acting_user, join_code=_new_join_code(),
                                       seed=seed, patients=patients)
        record_event(AuditAction.CREATE, user=acting_user, object_type="training_course", object_id=course.pk,
                     detail={"title": course.title, "seed": seed, "patients": patients})
    return course


def _sandbox_name(course: Course, student: Any) -> str:
    return f"course{course.pk}-user{student.pk}-{secrets.token_hex(4)}"


def do_join_course(join_code: str, *, acting_user: Any) -> Enrollment:
    """A student joins a course by its code; their sandbox is built from the course's seed."""
    require_permission(acting_user, TAKE, "join courses")
    code = join_code.strip().upper().replace(" ", "").replace("-", "")
    course = Course.objects.filter(join_code=code).first() if code else None
    if course is None:
        raise ChartdeskError(UNKNOWN_CODE.format(code=join_code.strip()[:20]), field="join_code")
    if Enrollment.objects.filter(course=course, student=acting_user).exists():
        raise ChartdeskError(ALREADY_JOINED.format(course=course.title), field="join_code")
    name = _sandbox_name(course, acting_user)
    # The sandbox file is built first and outside the main database's transaction (it is another
    # database); if the enrollment then fails, the file is removed and nothing refers to it.
    sandbox.build_sandbox(name, student=acting_user, seed=course.seed, patients=course.patients)
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(course=course, student=acting_user, sandbox=name,
                                                   sandbox_built_at=timezone.now())
            record_event(AuditAction.CREATE, user=acting_user, object_type="training_enrollment",
                         object_id=enrollment.pk, detail={"course": course.pk, "sandbox": name})
    except IntegrityError:
        sandbox.remove_sandbox(name)
        raise ChartdeskError(ALREADY_JOINED.format(course=course.title), field="join_code") from None
    except BaseException:
        sandbox.remove_sandbox(name)
        raise
    return enrollment


def do_reset_sandbox(enrollment: Enrollment, *, acting_user: Any) -> Enrollment:
    """Start the student's sandbox again from the course's seed (attempts and grades are kept)."""
    require_permission(acting_user, TAKE, "reset a sandbox")
    if enrollment.student_id != acting_user.pk:
        raise ChartdeskError("You can reset only your own sandbox.")
    name = _sandbox_name(enrollment.course, acting_user)
    sandbox.build_sandbox(name, student=acting_user, seed=enrollment.course.seed,
                          patients=enrollment.course.patients)
    with transaction.atomic():
        enrollment = lock_row(enrollment, "course")
        old = enrollment.sandbox
        enrollment.sandbox, enrollment.sandbox_built_at = name, timezone.now()
        enrollment.resets += 1
        enrollment.save(update_fields=["sandbox", "sandbox_built_at", "resets"])
        record_event(AuditAction.UPDATE, user=acting_user, object_type="training_enrollment",
                     object_id=enrollment.pk, detail={"reset": True, "sandbox": name, "replaced": old})
        transaction.on_commit(lambda: sandbox.remove_sandbox(old))
    return enrollment


def do_start_attempt(enrollment: Enrollment, exercise: Exercise, *, acting_user: Any,
                     exam_item: ExamItem | None = None, sitting: ExamSitting | None = None) -> Attempt:
    """Set the exercise up in the student's sandbox and start the clock (as an exam's item when
    `exam_item` and `sitting` are given; exams.do_start_exam_item checks the exam's own clock)."""
    require_permission(acting_user, TAKE, "do exercises")
    if enrollment.student_id != acting_user.pk:
        raise ChartdeskError("You can work only in your own sandbox.")
    kind = kind_of(exercise)
    if kind.build is not None:
        with sandbox.sandbox_database(sandbox.sandbox_path(enrollment.sandbox)):
            kind.build(exercise)
    with transaction.atomic():
        attempt = Attempt.objects.create(enrollment=enrollment, exercise_id=exercise.id, kind=exercise.kind,
                                         exercise_version=exercise.version, started_at=timezone.now(),
                                         exam_item=exam_item, sitting=sitting)
        record_event(AuditAction.CREATE, user=acting_user, object_type="training_attempt", object_id=attempt.pk,
                     detail={"exercise": exercise.id, "version": exercise.version,
                             "sitting": sitting.pk if sitting else None})
    return attempt


def do_submit_attempt(attempt: Attempt, exercise: Exercise, *, answer: dict[str, Any] | None = None,
                      acting_user: Any) -> Grade:
    """Grade an attempt: from what the student did in the sandbox (desk kinds), or from `answer` (drills)."""
    require_permission(acting_user, TAKE, "submit exercises")
    if attempt.enrollment.student_id != acting_user.pk:
        raise ChartdeskError("You can submit only your own attempts.")
    if attempt.submitted_at is not None:
        raise ChartdeskError("This attempt is graded already; start the exercise again for another try.")
    if attempt.sitting is not None:
        from chartdesk.training.exams import refuse_if_time_is_up

        refuse_if_time_is_up(attempt.sitting)
    kind = kind_of(exercise)
    if answer is None:
        if kind.answer_from_records is None:
            raise AnswerError(NO_KIND_BUILD.format(exercise=exercise.id))
        with sandbox.sandbox_database(sandbox.sandbox_path(attempt.enrollment.sandbox)):
            answer = kind.answer_from_records(exercise)
    result = grade(exercise, answer)
    graded = result.as_json()
    with transaction.atomic():
        attempt = lock_row(attempt, "enrollment")
        if attempt.submitted_at is not None:
            raise ChartdeskError("This attempt is graded already.")
        attempt.submitted_at = timezone.now()
        sitting = attempt.sitting
        if sitting is not None and (sitting.finished or attempt.submitted_at >= sitting.deadline):
            # Checked again under the lock: the answer read back may have taken past the limit.
            raise ChartdeskError(time_is_up_message(sitting))
        attempt.answer, attempt.feedback = dict(answer), graded["feedback"]
        attempt.score, attempt.earned, attempt.possible = result.score, result.earned, result.possible
        attempt.save(update_fields=["submitted_at", "answer", "feedback", "score", "earned", "possible"])
        if exercise.kind == "terminology":
            from chartdesk.training.kinds.terminology import record_reviews

            record_reviews(acting_user, result, timezone.localdate())
        record_event(AuditAction.UPDATE, user=acting_user, object_type="training_attempt", object_id=attempt.pk,
                     detail={"exercise": exercise.id, "score": result.score})
    return result


def _authored_fields(*, kind: str, title: str, competencies: list[str], instructions: str,
                     setup: Any, key: Any) -> Exercise:
    """The exercise as it may be saved, or a ChartdeskError naming the field: the kind's own grading
    must accept the key (grading.checked_key)."""
    from chartdesk.training.catalogue import competency_list
    from chartdesk.training.grading import checked_key, kinds

    if kind not in kinds():
        raise ChartdeskError(f"Kind: no exercise kind {kind!r}; the kinds are {', '.join(sorted(kinds()))}.",
                             field="kind")
    title = title.strip()
    if not title:
        raise ChartdeskError("Title: give the exercise a title.", field="title")
    if not competencies:
        raise ChartdeskError("Competencies: choose at least one.", field="competencies")
    unknown = sorted(set(competencies) - set(competency_list()))
    if unknown:
        raise ChartdeskError(f"Competencies: {', '.join(unknown)} is not on the competency list.",
                             field="competencies")
    if not instructions.strip():
        raise ChartdeskError("Instructions: tell the student what to do.", field="instructions")
    draft = Exercise(id="authored-draft", kind=kind, title=title[:200], competencies=tuple(competencies),
                     instructions=instructions.strip(), setup=setup, key=key)
    try:
        return checked_key(draft)
    except AnswerError as problem:
        where = "setup" if str(problem).startswith("setup:") else "key"
        label = "Setup" if where == "setup" else "Answer key"
        raise ChartdeskError(f"{label}: {str(problem).split(': ', 1)[-1]}", field=where) from None


def _write_version(authored: AuthoredExercise, exercise: Exercise, number: int, acting_user: Any) -> AuthoredVersion:
    return AuthoredVersion.objects.create(
        exercise=authored, number=number, title=exercise.title, competencies=list(exercise.competencies),
        instructions=exercise.instructions, setup=dict(exercise.setup), key=dict(exercise.key),
        written_by=acting_user)


def do_author_exercise(*, kind: str, title: str, competencies: list[str], instructions: str, setup: Any,
                       key: Any, acting_user: Any) -> AuthoredExercise:
    """A new exercise written on the desk, version 1; refused, with nothing saved, unless its kind's own
    grading accepts the key."""
    require_permission(acting_user, TEACH, "author exercises")
    exercise = _authored_fields(kind=kind, title=title, competencies=competencies, instructions=instructions,
                                setup=setup, key=key)
    with transaction.atomic():
        authored = AuthoredExercise.objects.create(kind=kind, author=acting_user)
        _write_version(authored, exercise, 1, acting_user)
        record_event(AuditAction.CREATE, user=acting_user, object_type="training_exercise",
                     object_id=authored.exercise_id, detail={"kind": kind, "title": exercise.title, "version": 1})
    return authored


def do_revise_exercise(authored: AuthoredExercise, *, title: str, competencies: list[str], instructions: str,
                       setup: Any, key: Any, acting_user: Any) -> AuthoredVersion:
    """An edit: the next version (the kind stays). Attempts keep the version they were graded against."""
    require_permission(acting_user, TEACH, "edit exercises")
    if authored.author_id != acting_user.pk:
        raise ChartdeskError("Only the exercise's author may edit it.")
    if authored.retired_at is not None:
        raise ChartdeskError(RETIRED)
    exercise = _authored_fields(kind=authored.kind, title=title, competencies=competencies,
                                instructions=instructions, setup=setup, key=key)
    with transaction.atomic():
        authored = lock_row(authored)
        if authored.retired_at is not None:
            raise ChartdeskError(RETIRED)
        latest = authored.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = _write_version(authored, exercise, latest + 1, acting_user)
        record_event(AuditAction.UPDATE, user=acting_user, object_type="training_exercise",
                     object_id=authored.exercise_id, detail={"title": exercise.title, "version": version.number})
    return version


def do_retire_exercise(authored: AuthoredExercise, *, acting_user: Any) -> AuthoredExercise:
    """Retire (never delete): no new attempts or exams use it; the ones made keep it."""
    require_permission(acting_user, TEACH, "retire exercises")
    if authored.author_id != acting_user.pk:
        raise ChartdeskError("Only the exercise's author may retire it.")
    with transaction.atomic():
        authored = lock_row(authored)
        if authored.retired_at is not None:
            raise ChartdeskError("This exercise is retired already.")
        authored.retired_at = timezone.now()
        authored.save(update_fields=["retired_at"])
        record_event(AuditAction.UPDATE, user=acting_user, object_type="training_exercise",
                     object_id=authored.exercise_id, detail={"retired": True})
    return authored
