"""`chartdesk worker`: run background jobs from the database queue.

It is django-tasks-db's `db_worker` with the same options and Chartdesk's settings; before it starts
it hands to the queue any job whose process stopped between committing it and enqueuing it. Run
several for more throughput: each claims a task in its own locked transaction (docs/operations.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from chartdesk.jobs.actions import enqueue_waiting
from chartdesk.jobs.maintenance import do_schedule_audit_partitions

# A job committed this recently may still be on its way to the queue through its own on-commit hook.
HAND_OVER_GRACE = timedelta(minutes=1)


class Command(DatabaseWorkerCommand):
    help = "Run Chartdesk's background jobs (bulk export, dictation drafts, ...) from the database queue."

    def handle(self, *args: Any, **options: Any) -> None:
        handed = enqueue_waiting(older_than=HAND_OVER_GRACE)
        if handed:
            self.stdout.write(f"Queued {handed} job(s) that had not reached the queue.")
        if do_schedule_audit_partitions() is not None:
            self.stdout.write("Queued the periodic job that creates the audit trail's partitions ahead.")
        super().handle(*args, **options)
