"""Courses, enrollments and attempts: the training records, which live in the main database.

What a student does to patients lives in their sandbox (training/sandbox.py), never here; these rows
hold who is in which course, which sandbox file is theirs, and each graded attempt.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Course(models.Model):
    title = models.CharField(max_length=200)
    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses_taught")
    join_code = models.CharField(max_length=16, unique=True)
    # The demo generator's seed and size: every student of a course starts from the same patients.
    seed = models.PositiveIntegerField(default=1)
    patients = models.PositiveSmallIntegerField(default=12)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = "course"
        permissions = [
            ("teach_courses", "Create courses, read their gradebooks and answer keys"),
            ("take_training", "Join courses and do exercises in a sandbox"),
        ]

    def __str__(self) -> str:
        return self.title


class Enrollment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments")
    # The sandbox's file name under TRAINING_DIR; a reset builds a new file and points here at it.
    sandbox = models.CharField(max_length=100, unique=True)
    sandbox_built_at = models.DateTimeField()
    resets = models.PositiveIntegerField(default=0)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "student__username"]
        verbose_name = "enrollment"
        constraints = [models.UniqueConstraint(fields=["course", "student"], name="training_one_enrollment")]

    def __str__(self) -> str:
        return f"{self.student} in {self.course}"


class Attempt(models.Model):
    """One try at one exercise: started when the exercise was built in the sandbox, graded on submit."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="attempts")
    exercise_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=40)
    started_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    earned = models.FloatField(null=True, blank=True)
    possible = models.FloatField(null=True, blank=True)
    answer = models.JSONField(default=dict)
    feedback = models.JSONField(default=list)
    # The version of an authored exercise the attempt is graded against (None for a shipped one): an
    # edit makes a new version and never regrades what was already done.
    exercise_version = models.PositiveIntegerField(null=True, blank=True)
    # Set when the attempt is an item of a timed exam: its feedback waits until the exam is over.
    exam_item = models.ForeignKey("ExamItem", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="attempts")
    sitting = models.ForeignKey("ExamSitting", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="attempts")

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = "attempt"
        constraints = [models.UniqueConstraint(fields=["sitting", "exam_item"], name="training_one_attempt_per_item")]

    def __str__(self) -> str:
        return f"{self.exercise_id} by {self.enrollment.student}"

    @property
    def seconds_spent(self) -> int | None:
        if self.submitted_at is None:
            return None
        return int((self.submitted_at - self.started_at).total_seconds())


class TermCard(models.Model):
    """A student's spaced-repetition state for one term of the terminology drills (a Leitner box:
    right moves it up a box and further out, wrong sends it back to box 1, due at once)."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="term_cards")
    term = models.CharField(max_length=60)
    box = models.PositiveSmallIntegerField(default=1)
    due_on = models.DateField()
    reviews = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["student", "due_on", "box", "term"]
        verbose_name = "term card"
        constraints = [models.UniqueConstraint(fields=["student", "term"], name="training_one_card_per_term")]

    def __str__(self) -> str:
        return f"{self.term} (box {self.box})"


class AuthoredExercise(models.Model):
    """An exercise an instructor wrote on the desk. Its content lives in versions; retiring hides it from
    new work but keeps it (attempts and exams refer to it)."""

    ID_PREFIX = "authored-"

    kind = models.CharField(max_length=40)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_exercises")
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "authored exercise"
        verbose_name_plural = "authored exercises"

    def __str__(self) -> str:
        return self.exercise_id

    @property
    def exercise_id(self) -> str:
        return f"{self.ID_PREFIX}{self.pk}"


class AuthoredVersion(models.Model):
    """One version of an authored exercise, never changed once written."""

    exercise = models.ForeignKey(AuthoredExercise, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    competencies = models.JSONField(default=list)
    instructions = models.TextField()
    setup = models.JSONField(default=dict)
    key = models.JSONField(default=dict)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["exercise", "number"]
        verbose_name = "authored exercise version"
        verbose_name_plural = "authored exercise versions"
        constraints = [models.UniqueConstraint(fields=["exercise", "number"], name="training_one_version_number")]

    def __str__(self) -> str:
        return f"{self.exercise} v{self.number}"


class Exam(models.Model):
    """A timed practice exam of a course: a fixed list of items, open between two times."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="exams")
    title = models.CharField(max_length=200)
    time_limit_minutes = models.PositiveIntegerField()
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    # How the items were chosen ("hand", or "draw" with its seed and counts per kind), kept for the record.
    selection = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "opens_at", "pk"]
        verbose_name = "exam"

    def __str__(self) -> str:
        return self.title


class ExamItem(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveSmallIntegerField()
    exercise_id = models.CharField(max_length=100)
    # The authored exercise's version the exam was built with (None for a shipped exercise).
    exercise_version = models.PositiveIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=40)
    weight = models.FloatField(default=1.0)

    class Meta:
        ordering = ["exam", "position"]
        verbose_name = "exam item"
        constraints = [models.UniqueConstraint(fields=["exam", "position"], name="training_one_item_per_position")]

    def __str__(self) -> str:
        return f"{self.exam} #{self.position}: {self.exercise_id}"


class SittingStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    CLOSED = "closed", "Closed at the time limit"


class ExamSitting(models.Model):
    """One student's go at an exam: its clock runs from `started_at` to `deadline`."""

    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="sittings")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="sittings")
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    status = models.CharField(max_length=20, choices=SittingStatus.choices, default=SittingStatus.IN_PROGRESS)
    finished_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    earned = models.FloatField(null=True, blank=True)
    possible = models.FloatField(null=True, blank=True)
    # Per competency, the weighted score of the items that train it, fixed when the sitting ends.
    competency_scores = models.JSONField(default=dict)

    class Meta:
        ordering = ["exam", "enrollment__student__username"]
        verbose_name = "exam sitting"
        constraints = [models.UniqueConstraint(fields=["exam", "enrollment"], name="training_one_sitting")]

    def __str__(self) -> str:
        return f"{self.exam} by {self.enrollment.student}"

    @property
    def finished(self) -> bool:
        return self.status != SittingStatus.IN_PROGRESS
