"""The exam pages: the instructor builds an exam of a course and reads its results; the student starts
it, works each item on the same screens as any exercise, and hands it in (training/exams.py).

Every page that shows a sitting first closes it when its time has run out, so what is shown is never a
sitting still open past its limit.
"""

from __future__ import annotations

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
from chartdesk.core.permissions import requires, requires_any
from chartdesk.core.refusals import add_refusal, form_status
from chartdesk.training import access, exams, sandbox
from chartdesk.training.actions import TAKE, TEACH
from chartdesk.training.catalogue import current_exercises
from chartdesk.training.grading import kind_of, kinds
from chartdesk.training.models import Course, Exam, ExamSitting, SittingStatus


def _found(lookup: Any, *args: Any) -> Any:
    try:
        return lookup(*args)
    except NotFound:
        raise Http404 from None


class ExamForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    time_limit_minutes = forms.IntegerField(label="Time limit (minutes)", min_value=1, max_value=exams.MAX_MINUTES,
                                            initial=60)
    opens_at = forms.DateTimeField(label="Opens", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    closes_at = forms.DateTimeField(label="Closes", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    exercises = forms.CharField(
        label="Exercises picked by hand (one a line: exercise id, then a weight if not 1)", required=False,
        widget=forms.Textarea(attrs={"rows": 5}))
    draw = forms.CharField(
        label="Exercises drawn at random (one a line: kind, then how many)", required=False,
        widget=forms.Textarea(attrs={"rows": 4}))
    seed = forms.IntegerField(label="Seed of the draw (every student gets the same draw)", min_value=0,
                              max_value=2**31 - 1, initial=1)

    def clean_exercises(self) -> list[tuple[str, float]]:
        picks = []
        for number, line in enumerate(self.cleaned_data["exercises"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) > 2:
                raise forms.ValidationError(f"Line {number}: an exercise id and at most a weight.")
            try:
                weight = float(parts[1]) if len(parts) == 2 else 1.0
            except ValueError:
                raise forms.ValidationError(f"Line {number}: the weight {parts[1]!r} is not a number.") from None
            picks.append((parts[0], weight))
        return picks

    def clean_draw(self) -> dict[str, int]:
        draw: dict[str, int] = {}
        for number, line in enumerate(self.cleaned_data["draw"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) < 1:
                raise forms.ValidationError(f"Line {number}: a kind and a count from 1, as 'coding 2'.")
            if parts[0] not in kinds():
                raise forms.ValidationError(f"Line {number}: no exercise kind {parts[0]!r}.")
            if parts[0] in draw:
                raise forms.ValidationError(f"Line {number}: {parts[0]} is drawn twice.")
            draw[parts[0]] = int(parts[1])
        return draw


@requires(TEACH)
def exam_new_view(request: HttpRequest, course_id: str) -> HttpResponse:
    """Build an exam of a course the instructor teaches."""
    course = _found(access.access_course_by_id, request.user, record_id(course_id, "course"))
    form = ExamForm(request.POST or None)
    refused: ChartdeskError | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            exam = exams.do_create_exam(
                course, title=data["title"], time_limit_minutes=data["time_limit_minutes"],
                opens_at=data["opens_at"], closes_at=data["closes_at"], picks=data["exercises"], draw=data["draw"],
                seed=data["seed"], acting_user=request.user)
        except ChartdeskError as refusal:
            refused = refusal
            add_refusal(form, refusal)
        else:
            messages.success(request, f"Exam {exam.title} built with {exam.items.count()} items.")
            return redirect("training-exam", exam.pk)
    return render(request, "training/exam_new.html", {
        "course": course, "form": form, "exercises": sorted(current_exercises().values(), key=lambda e: e.id),
    }, status=form_status(form, refused) if request.method == "POST" else 200)


@requires_any(TEACH, TAKE)
def exam_view(request: HttpRequest, exam_id: str) -> HttpResponse:
    """An exam: its items and results for the instructor; for a student, the start (or their sitting)."""
    exam, enrollment = _found(access.access_exam_by_id, request.user, record_id(exam_id, "exam"))
    if enrollment is not None:
        sitting = ExamSitting.objects.filter(exam=exam, enrollment=enrollment).first()
        if request.method == "POST" and sitting is None:
            try:
                sitting = exams.do_start_sitting(exam, enrollment, acting_user=request.user)
            except ChartdeskError as refusal:
                messages.error(request, refusal.message)
                return redirect("training-exam", exam.pk)
            request.session[sandbox.CHOSEN_ENROLLMENT] = enrollment.pk
        if sitting is not None:
            return redirect("training-sitting", sitting.pk)
        return render(request, "training/exam_start.html", {"exam": exam, "now": timezone.now(),
                                                            "items": exam.items.count()})
    exams.close_due_sittings(exam)
    return render(request, "training/exam.html", {
        "exam": exam, "items": [(item, exams.item_exercise(item)) for item in exam.items.all()],
        "sittings": exam.sittings.select_related("enrollment__student"),
    })


def time_left_words(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s"


def _seconds_left(sitting: ExamSitting) -> int | None:
    if sitting.finished:
        return None
    return max(0, int((sitting.deadline - timezone.now()).total_seconds()))


@requires_any(TEACH, TAKE)
def sitting_view(request: HttpRequest, sitting_id: str) -> HttpResponse:
    """A sitting: its items, the time left, the hand-in; once over, each item's score and feedback."""
    sitting = _found(access.access_sitting_by_id, request.user, record_id(sitting_id, "exam sitting"))
    sitting = exams.close_if_due(sitting)
    results = [(item, exams.item_exercise(item), attempt, score)
               for item, attempt, score in exams.item_results(sitting)]
    seconds_left = _seconds_left(sitting)
    return render(request, "training/sitting.html", {
        "sitting": sitting, "exam": sitting.exam, "results": results, "seconds_left": seconds_left,
        "time_left": time_left_words(seconds_left),
        "mine": sitting.enrollment.student_id == request.user.pk,
    })


@requires(TAKE)
@require_POST
def sitting_item_view(request: HttpRequest, sitting_id: str, item_id: str) -> HttpResponse:
    """Open an exam item: set it up in the sandbox the first time, then the desk page (or the drill)."""
    sitting = _found(access.access_sitting_by_id, request.user, record_id(sitting_id, "exam sitting"))
    item = sitting.exam.items.filter(pk=record_id(item_id, "exam item")).first()
    if item is None or sitting.enrollment.student_id != request.user.pk:
        raise Http404
    try:
        attempt = exams.do_start_exam_item(sitting, item, acting_user=request.user)
    except ChartdeskError as refusal:
        messages.error(request, refusal.message)
        return redirect("training-sitting", sitting.pk)
    exercise = exams.item_exercise(item)
    kind = kind_of(exercise)
    request.session[sandbox.CHOSEN_ENROLLMENT] = sitting.enrollment_id
    if kind.start_url is None or kind.desk_links is not None or attempt.submitted_at is not None:
        return redirect("training-attempt", attempt.pk)
    with sandbox.sandbox_database(sandbox.sandbox_path(sitting.enrollment.sandbox)):
        start = kind.start_url(exercise)
    messages.info(request, f"Exam item {exercise.title}: submit it from the exam's page before the time is up.")
    return redirect(start)


@requires(TAKE)
@require_POST
def sitting_submit_view(request: HttpRequest, sitting_id: str) -> HttpResponse:
    sitting = _found(access.access_sitting_by_id, request.user, record_id(sitting_id, "exam sitting"))
    try:
        exams.do_submit_sitting(sitting, acting_user=request.user)
    except ChartdeskError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, "Exam handed in; your score and the feedback per item are below.")
    return redirect("training-sitting", sitting.pk)


def exam_gradebook(course: Course) -> dict[str, Any]:
    """The course's exams for its gradebook: each sitting's weighted score, and per exam and competency the
    mean of the sittings' competency scores."""
    rows = []
    competencies = []
    for exam in course.exams.all():
        exams.close_due_sittings(exam)
        sittings = list(exam.sittings.select_related("enrollment__student"))
        rows.append((exam, sittings))
        by_competency: dict[str, list[float]] = defaultdict(list)
        for sitting in sittings:
            for name, score in sitting.competency_scores.items():
                by_competency[name].append(float(score))
        competencies += [(exam.title, name, round(sum(scores) / len(scores), 4), len(scores))
                         for name, scores in sorted(by_competency.items())]
    return {"exam_rows": rows, "exam_competencies": competencies}


def exam_csv_rows(course: Course) -> list[list[Any]]:
    """The gradebook CSV's exam rows (columns as views.CSV_COLUMNS)."""
    rows: list[list[Any]] = []
    for exam in Exam.objects.filter(course=course).order_by("pk"):
        exams.close_due_sittings(exam)
        for sitting in exam.sittings.select_related("enrollment__student").order_by("enrollment__student__username"):
            if sitting.status == SittingStatus.IN_PROGRESS:
                continue  # no grade until it is handed in or closed
            student = sitting.enrollment.student.get_username()
            all_competencies: set[str] = set()
            for item, attempt, score in exams.item_results(sitting):
                exercise = exams.item_exercise(item)
                all_competencies |= set(exercise.competencies)
                graded = attempt is not None and attempt.score is not None
                rows.append([
                    student, item.exercise_id, item.kind,
                    attempt.started_at.isoformat() if attempt else "",
                    attempt.submitted_at.isoformat() if attempt and attempt.submitted_at else "",
                    attempt.seconds_spent if attempt and attempt.seconds_spent is not None else "",
                    score, attempt.earned if graded and attempt else 0, attempt.possible if graded and attempt else "",
                    "; ".join(exercise.competencies), exam.title, item.weight,
                ])
            seconds = int((sitting.finished_at - sitting.started_at).total_seconds()) if sitting.finished_at else ""
            rows.append([student, "", "exam", sitting.started_at.isoformat(),
                         sitting.finished_at.isoformat() if sitting.finished_at else "", seconds, sitting.score,
                         sitting.earned, sitting.possible, "; ".join(sorted(all_competencies)), exam.title, ""])
            for name, score in sitting.competency_scores.items():
                rows.append([student, "", "exam competency", "", "", "", score, "", "", name, exam.title, ""])
    return rows
