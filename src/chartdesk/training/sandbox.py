"""Sandboxes: one SQLite database file per student per course, swapped in as the `default` database.

Why a database per sandbox rather than scoping every query: every app reads and writes through
`default` (the ORM, `transaction.atomic()`, raw cursors, the audit chain's head lock), so a student's
request that runs with their sandbox file as `default` cannot reach a real patient or another student's
sandbox by any route, including routes written after this one, because there is nothing else in that
database to reach. Scoping would need a filter on every query of every app, and one forgotten filter
is a leak.

How: `sandbox_database(path)` replaces this thread's (or task's) `default` connection with a
connection to the sandbox file and keeps the main database reachable as `home`. The router sends to
`home` only the apps whose rows are not patient data and must stay in the main database: training
(courses, attempts), sessions, log-in lock-out (axes), MFA devices, and the code sets (reference data,
too large to copy into every sandbox). Everything else, users and the audit trail included, is the
sandbox's own.

The student's user row is copied into the sandbox with the same primary key and password hash (the
session names the user by key and checks the hash), holding the sandbox-only `trainee` role; in the
main database the student holds only `student`, which reaches no patient data. Sandboxes are SQLite
files whatever the main database is: a training sandbox needs no server, and copying a migrated
template file makes a new one in a moment.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.http import HttpRequest, HttpResponse

from chartdesk.core.context import OpenSandbox, in_sandbox, practising

HOME = "home"
# Apps whose rows stay in the main database while a sandbox is `default`.
# django_tasks_database (django-tasks-db's label) is the job queue: a job started in a sandbox keeps
# its Job row (progress, result) in the sandbox but is queued in the main database, naming its
# sandbox, where the one worker finds it (jobs.actions.enqueue_job, jobs.runner.job_task).
MAIN_DATABASE_APPS = frozenset({"training", "sessions", "axes", "otp_totp", "otp_static", "coding",
                                "django_tasks_database"})
# Paths never run in a sandbox: the training pages (they open the sandbox themselves where they need
# it) and log-in, log-off, MFA and passwords, which must meet the main database's user.
UNSANDBOXED_PREFIXES = ("/training/", "/accounts/", "/static/", "/healthz")
SANDBOX_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 10,
}

_active: ContextVar[str | None] = ContextVar("chartdesk_training_sandbox", default=None)


class SandboxError(RuntimeError):
    pass


def active_sandbox() -> str | None:
    """The sandbox file this request or block runs in, or None in the main database."""
    return _active.get()


class SandboxRouter:
    """While a sandbox is `default`, the main-database apps go `home` and everything else to the sandbox,
    said outright so that no later router (the replica's) sends a student's read to real records;
    outside a sandbox the next router decides."""

    def _route(self, model: Any, **hints: Any) -> str | None:
        if _active.get() is None:
            return None
        return HOME if model._meta.app_label in MAIN_DATABASE_APPS else DEFAULT_DB_ALIAS

    db_for_read = _route
    db_for_write = _route


def sandbox_dir() -> Path:
    folder = Path(settings.TRAINING_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sandbox_path(name: str) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise SandboxError(f"not a sandbox name: {name!r}")
    return sandbox_dir() / f"{name}.sqlite3"


def files_folder(path: Path) -> Path:
    """The folder of the files stored while this sandbox is open (uploads, exports), next to its
    database file and removed with it (core.storage)."""
    return path.with_suffix(".files")


def _connection_to(path: Path) -> DatabaseWrapper:
    configured = connections.configure_settings(
        {DEFAULT_DB_ALIAS: {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path),
                            "OPTIONS": dict(SANDBOX_OPTIONS)}}
    )
    return DatabaseWrapper(configured[DEFAULT_DB_ALIAS], DEFAULT_DB_ALIAS)


@contextlib.contextmanager
def sandbox_database(path: Path, *, main_apps_at_home: bool = True) -> Iterator[None]:
    """Run a block with `path` as the `default` database (the main one stays reachable as `home`)."""
    if _active.get() is not None:
        raise SandboxError("a sandbox is already open in this request")
    if not path.exists():
        raise SandboxError(f"sandbox file {path.name} does not exist")
    home = connections[DEFAULT_DB_ALIAS]
    sandbox = _connection_to(path)
    connections[DEFAULT_DB_ALIAS] = sandbox
    connections[HOME] = home
    token = _active.set(str(path) if main_apps_at_home else None)
    try:
        # The name is the file's stem, the same while it is being built and once it is in place.
        with practising(True), in_sandbox(OpenSandbox(name=path.stem, files=files_folder(path))):
            yield
    finally:
        _active.reset(token)
        sandbox.close()
        connections[DEFAULT_DB_ALIAS] = home
        del connections[HOME]


# --------------------------------------------------------------------------- the template


def _migration_fingerprint() -> str:
    """Changes whenever a migration is added or edited, so a stale template is never copied."""
    from django.db.migrations.loader import MigrationLoader

    digest = hashlib.sha256()
    for key, migration in sorted(MigrationLoader(None, ignore_no_migrations=True).disk_migrations.items()):
        digest.update(".".join(key).encode())
        source = getattr(sys.modules.get(type(migration).__module__), "__file__", None)
        if source:
            digest.update(Path(source).read_bytes())
    return digest.hexdigest()[:16]


def template_path() -> Path:
    """A migrated, empty database file; built once per set of migrations."""
    folder = Path(settings.TRAINING_TEMPLATE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"template-{_migration_fingerprint()}.sqlite3"
    if path.exists():
        return path
    building = path.with_suffix(f".{secrets.token_hex(4)}.building")
    _connection_to(building).close()
    building.touch()
    # The template holds every table, code-set tables included (empty): migrations must not write to
    # the main database, so nothing is routed home while it is built.
    with sandbox_database(building, main_apps_at_home=False):
        call_command("migrate", database=DEFAULT_DB_ALIAS, interactive=False, verbosity=0)
        connections[DEFAULT_DB_ALIAS].cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.replace(building, path)
    return path


# --------------------------------------------------------------------------- building a sandbox


def _sandbox_username(username: str) -> str:
    from chartdesk.accounts.roles import ROLES_BY_SLUG

    # The demo generator creates one user per role, named by the role's slug.
    return f"{username}.student" if username in ROLES_BY_SLUG else username


def copy_student(student: Any) -> Any:
    """Inside an open sandbox: the student's user row with the same key and password, role trainee."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from chartdesk.accounts.roles import group_name

    User = get_user_model()
    copy = User(pk=student.pk, username=_sandbox_username(student.username), password=student.password,
                first_name=student.first_name, last_name=student.last_name, email=student.email,
                is_active=student.is_active)
    copy.save(force_insert=True)
    copy.groups.set([Group.objects.get(name=group_name("trainee"))])
    return copy


def sync_student(user_id: int) -> None:
    """Inside an open sandbox: carry the main database's password and active flag over, so a password
    change or a deactivation in the main database holds in the sandbox too."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    main = User.objects.using(HOME).filter(pk=user_id).values("password", "is_active").first()
    if main is None:
        return
    User.objects.filter(pk=user_id).exclude(password=main["password"], is_active=main["is_active"]).update(**main)


def build_sandbox(name: str, *, student: Any, seed: int, patients: int) -> Path:
    """A new sandbox file: the template, the student's copy, then the demo generator's patients."""
    from django.utils import timezone

    from chartdesk.core.demo.load import load_demo
    from chartdesk.core.demo.plan import plan_demo

    path = sandbox_path(name)
    if path.exists():
        raise SandboxError(f"sandbox {name} exists already")
    building = path.with_suffix(".building")
    shutil.copyfile(template_path(), building)
    try:
        with sandbox_database(building):
            # The student's row goes in first so its key is taken before the demo's staff are numbered.
            copy_student(student)
            plan = plan_demo(patients=patients, seed=seed, today=timezone.localdate(),
                             zone=timezone.get_current_timezone())
            # The demo staff exist for the records they wrote; nobody can log in as them.
            load_demo(plan, password=secrets.token_urlsafe(24))
        os.replace(building, path)
    finally:
        building.unlink(missing_ok=True)
        if not path.exists():  # a failed build leaves none of its stored files behind
            shutil.rmtree(files_folder(path), ignore_errors=True)
    return path


def remove_sandbox(name: str) -> None:
    """A replaced sandbox's database and stored files (practice data, not the legal record)."""
    path = sandbox_path(name)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    # Practice uploads and exports: training data, the only stored files ever removed outside destruction.
    shutil.rmtree(files_folder(path), ignore_errors=True)


# --------------------------------------------------------------------------- requests


def sandbox_for_session(request: HttpRequest) -> str | None:
    """The sandbox a signed-in student's desk requests run in: the course they chose last, else their
    latest enrollment; None for anyone not enrolled."""
    from chartdesk.training.models import Enrollment

    user_id = request.session.get(SESSION_KEY)
    if user_id is None:
        return None
    enrollments = Enrollment.objects.filter(student_id=user_id)
    chosen = request.session.get(CHOSEN_ENROLLMENT)
    enrollment = (enrollments.filter(pk=chosen).first() if chosen else None) or enrollments.order_by(
        "-joined_at", "-pk").first()
    return enrollment.sandbox if enrollment else None


CHOSEN_ENROLLMENT = "chartdesk_training_enrollment"


class SandboxMiddleware:
    """Every desk request of an enrolled student runs in their sandbox. It sits right after the session
    middleware, before anything loads the user, so the user, their permissions and every record of
    the request come from the sandbox."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(UNSANDBOXED_PREFIXES):
            return self.get_response(request)
        name = sandbox_for_session(request)
        if name is None:
            return self.get_response(request)
        user_id = int(request.session[SESSION_KEY])
        with sandbox_database(sandbox_path(name)):
            sync_student(user_id)
            response = self.get_response(request)
            if response.streaming:
                # A streamed body is read after this block; read it here, while the sandbox is open.
                response.streaming_content = [b"".join(response.streaming_content)]  # type: ignore[attr-defined]
            return response


@contextlib.contextmanager
def open_sandbox_named(name: str) -> Iterator[bool]:
    """For the job worker: run a block in the sandbox a job was queued in. Yields False, opening
    nothing, when that sandbox was reset or removed since (its jobs went with it)."""
    path = sandbox_path(name)
    if not path.exists():
        yield False
        return
    with sandbox_database(path):
        yield True


def sandbox_desk_context(request: Any) -> dict[str, Any]:
    """The banner every desk page shows while it runs in a sandbox."""
    return {"training_sandbox": active_sandbox() is not None}
