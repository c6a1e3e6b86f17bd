"""The training pages: a student's courses and exercises, an instructor's courses, gradebook and keys.

These pages run in the main database (the sandbox middleware leaves /training/ alone); they open a
student's sandbox only to set an exercise up and to read back what the student did.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.forms import record_id
from chartdesk.core.permissions import requires, signed_in
from chartdesk.core.refusals import add_refusal, form_status, refusal_status
from chartdesk.training import access, actions, sandbox
from chartdesk.training.catalogue import current_exercises, find_exercise
from chartdesk.training.exam_views import exam_csv_rows, exam_gradebook, time_left_words
from chartdesk.training.grading import AnswerError, Exercise, kind_of, kinds
from chartdesk.training.kinds.terminology import drill_order
from chartdesk.training.models import Course, Enrollment

TAKE, TEACH = actions.TAKE, actions.TEACH


class JoinForm(forms.Form):
    join_code = forms.CharField(label="Join code", max_length=20)


class CourseForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    seed = forms.IntegerField(label="Seed of the synthetic patients", min_value=0, max_value=2**31 - 1, initial=1)
    patients = forms.IntegerField(label="Patients per sandbox", min_value=1, max_value=actions.MAX_PATIENTS,
                                  initial=12)


def _found(lookup: Any, *args: Any) -> Any:
    try:
        return lookup(*args)
    except NotFound:
        raise Http404 from None


def _exercises_by_kind() -> list[tuple[str, list[Any]]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for exercise in current_exercises().values():
        grouped[exercise.kind].append(exercise)
    return [(kinds()[name].title, grouped[name]) for name in sorted(grouped)]


@requires(TAKE)
def student_home(request: HttpRequest) -> HttpResponse:
    """The courses a student is in, the exercises, and the join form."""
    form = JoinForm(request.POST or None)
    refused: ChartdeskError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            enrollment = actions.do_join_course(form.cleaned_data["join_code"], acting_user=request.user)
        except ChartdeskError as refusal:
            refused = refusal
            add_refusal(form, refusal)
        else:
            request.session[sandbox.CHOSEN_ENROLLMENT] = enrollment.pk
            messages.success(request, f"You joined {enrollment.course.title}; your sandbox is ready.")
            return redirect("training-home")
    enrollments = list(Enrollment.objects.filter(student_id=request.user.pk).select_related("course"))
    attempts: dict[tuple[int, str], Any] = {}
    for enrollment in enrollments:
        # Exam items are listed on their exam's page, with their scores held back until it is over.
        for attempt in enrollment.attempts.filter(sitting__isnull=True):
            attempts.setdefault((enrollment.pk, attempt.exercise_id), attempt)
    return render(request, "training/student_home.html", {
        "form": form, "enrollments": enrollments, "exercise_groups": _exercises_by_kind(),
        "exams": {enrollment.pk: list(enrollment.course.exams.all()) for enrollment in enrollments},
        "latest": {f"{key[0]}:{key[1]}": attempt for key, attempt in attempts.items()},
    }, status=form_status(form, refused) if request.method == "POST" else 200)


@requires(TAKE)
def exercise_view(request: HttpRequest, enrollment_id: str, exercise_id: str) -> HttpResponse:
    """An exercise's instructions; POST sets it up in the sandbox and opens the real desk page."""
    enrollment = _found(access.access_enrollment_by_id, request.user, record_id(enrollment_id, "enrollment"))
    exercise = _found(access.access_exercise_by_id, exercise_id)
    kind = kind_of(exercise)
    if request.method == "POST":
        try:
            attempt = actions.do_start_attempt(enrollment, exercise, acting_user=request.user)
        except ChartdeskError as refusal:
            messages.error(request, refusal.message)
            return redirect("training-exercise", enrollment.pk, exercise.id)
        request.session[sandbox.CHOSEN_ENROLLMENT] = enrollment.pk
        if kind.start_url is None or kind.desk_links is not None:
            # A kind with links to its records opens on the attempt page, which lists them.
            return redirect("training-attempt", attempt.pk)
        with sandbox.sandbox_database(sandbox.sandbox_path(enrollment.sandbox)):
            start = kind.start_url(exercise)
        messages.info(request, f"Exercise {exercise.title}: when you are done, submit it from the Training page.")
        return redirect(start)
    return render(request, "training/exercise.html", {"enrollment": enrollment, "exercise": exercise, "kind": kind})


@requires(TAKE)
@require_POST
def reset_view(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _found(access.access_enrollment_by_id, request.user, record_id(enrollment_id, "enrollment"))
    actions.do_reset_sandbox(enrollment, acting_user=request.user)
    messages.success(request, f"Your sandbox for {enrollment.course.title} was started again.")
    return redirect("training-home")


@signed_in
def attempt_view(request: HttpRequest, attempt_id: str) -> HttpResponse:
    """An attempt: submit it for grading, then its grade and each point's feedback. Its student and the
    course's instructor may open it (access_attempt_by_id); only the student may submit it."""
    attempt = _found(access.access_attempt_by_id, request.user, record_id(attempt_id, "attempt"))
    exercise = _found(access.access_attempt_exercise, attempt)
    drill = kind_of(exercise).answer_from_records is None
    status = 200
    if request.method == "POST":
        try:
            answer = _drill_answer(request, exercise.kind) if drill else None
            actions.do_submit_attempt(attempt, exercise, answer=answer, acting_user=request.user)
        except ChartdeskError as refusal:
            messages.error(request, refusal.message)
            status = refusal_status(refusal)
        except AnswerError as problem:
            messages.error(request, f"Not graded: {problem}")
            status = 400
        else:
            if attempt.sitting_id is not None:
                messages.success(request, "Answer recorded; its feedback is shown when the exam is over.")
                return redirect("training-sitting", attempt.sitting_id)
            return redirect("training-attempt", attempt.pk)
    sitting = attempt.sitting
    if sitting is not None:
        from chartdesk.training.exams import close_if_due

        sitting = close_if_due(sitting)
    answering = drill and attempt.score is None and attempt.enrollment.student_id == request.user.pk and \
        (sitting is None or not sitting.finished)
    items = drill_order(exercise, request.user, timezone.localdate()) if answering and \
        exercise.kind == "terminology" else []
    # The kinds answered on the training screen other than the term drill (ROI, filing,
    # deficiency) are typed in their answer format, shown with the kind's help; a refused answer is
    # shown again as typed, with the field the grader named.
    typed_help = kind_of(exercise).answer_help if answering and exercise.kind != "terminology" else ""
    return render(request, "training/attempt.html", {
        "attempt": attempt, "exercise": exercise, "items": items, "sitting": sitting,
        # An exam's items show no score or feedback until the exam is handed in or closed.
        "feedback_held": sitting is not None and not sitting.finished,
        "time_left": time_left_words(_seconds_left(sitting)), "seconds_left": _seconds_left(sitting),
        "typed_help": typed_help,
        "typed": request.POST.get("answer", "") if request.method == "POST" else "",
        "desk_links": _desk_links(request, attempt, exercise),
    }, status=status)


def _desk_links(request: HttpRequest, attempt: Any, exercise: Any) -> list[tuple[str, str]]:
    """The real desk pages of the exercise's records in the student's sandbox ("Open the request"), while
    the attempt is the student's to hand in; none for kinds without them."""
    kind = kind_of(exercise)
    if (kind.desk_links is None or attempt.score is not None or not attempt.enrollment.sandbox
            or attempt.enrollment.student_id != request.user.pk):
        return []
    try:
        with sandbox.sandbox_database(sandbox.sandbox_path(attempt.enrollment.sandbox)):
            return kind.desk_links(exercise)
    except AnswerError as problem:
        messages.error(request, f"The exercise's records: {problem}")
        return []


def _seconds_left(sitting: Any) -> int | None:
    if sitting is None or sitting.finished:
        return None
    return max(0, int((sitting.deadline - timezone.now()).total_seconds()))


def _drill_answer(request: HttpRequest, kind: str) -> dict[str, Any]:
    """The term drill's form: pairs term_N (the term shown) and meaning_N (what the student typed);
    any other drill: its answer typed as a JSON object in the kind's format."""
    if kind != "terminology":
        try:
            typed = json.loads(request.POST.get("answer", ""))
        except json.JSONDecodeError as problem:
            raise AnswerError(f"the answer is not JSON ({problem.msg}, line {problem.lineno}, "
                              f"column {problem.colno})") from None
        if not isinstance(typed, dict):
            raise AnswerError("the answer must be a JSON object, in the format shown")
        return typed
    answers: dict[str, str] = {}
    for name in request.POST:
        if name.startswith("term_"):
            answers[request.POST.get(name, "")] = request.POST.get("meaning_" + name[len("term_"):], "")[:200]
    return {"answers": answers}


@requires(TEACH)
def courses_view(request: HttpRequest) -> HttpResponse:
    """An instructor's courses and the form for a new one."""
    form = CourseForm(request.POST or None)
    refused: ChartdeskError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            course = actions.do_create_course(acting_user=request.user, **form.cleaned_data)
        except ChartdeskError as refusal:
            refused = refusal
            add_refusal(form, refusal)
        else:
            messages.success(request, f"Course created; students join with the code {course.join_code}.")
            return redirect("training-course", course.pk)
    courses = Course.objects.filter(instructor_id=request.user.pk)
    return render(request, "training/courses.html", {"form": form, "courses": courses},
                  status=form_status(form, refused) if request.method == "POST" else 200)


def _attempt_exercise(attempt: Any) -> Exercise | None:
    return find_exercise(attempt.exercise_id, attempt.exercise_version)


def _gradebook(course: Course) -> dict[str, Any]:
    attempts = access.gradebook_rows(course)
    graded = [attempt for attempt in attempts if attempt.score is not None and attempt.sitting_id is None]
    by_student: dict[str, list[float]] = defaultdict(list)
    by_exercise: dict[str, list[float]] = defaultdict(list)
    by_competency: dict[str, list[float]] = defaultdict(list)
    for attempt in graded:
        score = float(attempt.score or 0)
        by_student[attempt.enrollment.student.get_username()].append(score)
        by_exercise[attempt.exercise_id].append(score)
        exercise = _attempt_exercise(attempt)
        for competency in exercise.competencies if exercise else ():
            by_competency[competency].append(score)

    def mean(rows: dict[str, list[float]]) -> list[tuple[str, float, int]]:
        return [(name, round(sum(scores) / len(scores), 4), len(scores)) for name, scores in sorted(rows.items())]

    return {"attempts": attempts, "by_student": mean(by_student), "by_exercise": mean(by_exercise),
            "by_competency": mean(by_competency), **exam_gradebook(course)}


@requires(TEACH)
def course_view(request: HttpRequest, course_id: str) -> HttpResponse:
    """The gradebook of one course: per student, per exercise, per competency, and every attempt."""
    course = _found(access.access_course_by_id, request.user, record_id(course_id, "course"))
    return render(request, "training/course.html", {"course": course, **_gradebook(course),
                                                    "students": course.enrollments.select_related("student")})


# `exam` and `weight` come last so readers of the older columns keep working. An exam adds, per sitting,
# its items (an item never started is a row scored 0), an `exam` row (the weighted score) and an
# `exam competency` row per competency (the weighted score of the items that train it).
CSV_COLUMNS = ("student", "exercise", "kind", "started_at", "submitted_at", "seconds_spent", "score", "earned",
               "possible", "competencies", "exam", "weight")


@requires(TEACH)
def course_csv_view(request: HttpRequest, course_id: str) -> HttpResponse:
    course = _found(access.access_course_by_id, request.user, record_id(course_id, "course"))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="gradebook-course-{course.pk}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for attempt in access.gradebook_rows(course):
        if attempt.sitting_id is not None:
            continue
        exercise = _attempt_exercise(attempt)
        writer.writerow([
            attempt.enrollment.student.get_username(), attempt.exercise_id, attempt.kind,
            attempt.started_at.isoformat(), attempt.submitted_at.isoformat() if attempt.submitted_at else "",
            "" if attempt.seconds_spent is None else attempt.seconds_spent,
            "" if attempt.score is None else attempt.score, "" if attempt.earned is None else attempt.earned,
            "" if attempt.possible is None else attempt.possible,
            "; ".join(exercise.competencies) if exercise else "", "", "",
        ])
    writer.writerows(exam_csv_rows(course))
    return response


@requires(TEACH)
def key_view(request: HttpRequest, exercise_id: str) -> HttpResponse:
    """An exercise's answer key, for its instructor (an authored one's `?version=N`, else its latest)."""
    version = request.GET.get("version", "")
    number = record_id(version, "version") if version else None
    exercise = _found(access.access_key_by_exercise, request.user, exercise_id, number)
    return render(request, "training/key.html", {
        "exercise": exercise, "key_json": json.dumps(dict(exercise.key), indent=2), "kind": kind_of(exercise),
    })
