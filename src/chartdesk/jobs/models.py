"""Our record of each background job: who started it, what it is about, its progress and its outcome.

The queue itself is django-tasks with its database backend (one `DBTaskResult` row per attempt); the
library keeps no progress, no retry count and nothing a person can read, so each job has one row here,
keyed by the task result id of its current attempt. A retry makes a new task result and points the job
at it; the attempts before it stay in `attempt_log`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Job(models.Model):
    task_path = models.CharField(max_length=200)  # the django-tasks Task that runs it (module path)
    title = models.CharField(max_length=200)  # what the jobs page shows; never patient names
    about_type = models.CharField(max_length=60, blank=True)  # the object it is about, as audit names it
    about_id = models.CharField(max_length=64, blank=True)
    arguments = models.JSONField(default=dict, blank=True)  # the task's own keyword arguments (ids)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    percent = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    failure_reason = models.TextField(blank=True)
    # Empty while the job waits to be handed to the queue (the hand-over happens on commit).
    task_result_id = models.CharField(max_length=64, blank=True, db_index=True)
    run_after = models.DateTimeField(null=True, blank=True)  # a retry waits this long
    attempt_log = models.JSONField(default=list, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)  # the last sign of life from its worker

    class Meta:
        verbose_name = "background job"
        permissions = [("view_all_jobs", "See every user's background jobs and retry them")]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["started_by", "created_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display().lower()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
