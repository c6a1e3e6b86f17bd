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

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = "attempt"

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
