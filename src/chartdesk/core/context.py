"""Who is doing what, from where: carried through a request without threading it through every call.

The audit log needs the client address, the acting role and any break-the-glass reason for every
event. Passing those through each action would clutter every signature, so the request middleware
(and the CLI, and the HL7 listener) set them here once and `audit.actions.record_event` reads them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ActorContext:
    client_address: str = ""
    channel: str = "system"  # desk, cli, api, hl7, system
    break_the_glass_reason: str = ""


_current: ContextVar[ActorContext] = ContextVar("chartdesk_actor", default=ActorContext())


def current_actor() -> ActorContext:
    return _current.get()


@contextlib.contextmanager
def acting_as(**changes: str) -> Iterator[ActorContext]:
    """Run a block with some fields of the actor context replaced."""
    token = _current.set(replace(_current.get(), **changes))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


# The signed-in user of the current request, for signal handlers that are not handed one (role
# changes arrive through m2m_changed, which knows whose roles changed but not who changed them).
# The request middleware sets it; accounts.current re-exports it.
_current_user: ContextVar[Any] = ContextVar("chartdesk_current_user", default=None)


def current_user() -> Any:
    return _current_user.get()


def set_current_user(user: Any) -> Any:
    return _current_user.set(user)


def reset_current_user(token: Any) -> None:
    _current_user.reset(token)


# Set while a training sandbox is the `default` database (training/sandbox.py): its audit trail is
# practice, so nothing of it goes to the main database's checkpoints outside the database.
_practising: ContextVar[bool] = ContextVar("chartdesk_practising", default=False)


def in_practice_database() -> bool:
    return _practising.get()


@contextlib.contextmanager
def practising(flag: bool) -> Iterator[None]:
    token = _practising.set(flag)
    try:
        yield
    finally:
        _practising.reset(token)


# Set while a training sandbox is open (training/sandbox.py). The record stores (core.storage) keep
# that sandbox's files in its own folder instead of the data folder or the bucket, so a student's
# uploads stay with their sandbox and go when it is reset; the job queue (jobs.actions) names the
# sandbox on each job queued in it, so the worker runs the job with that sandbox open.
@dataclass(frozen=True)
class OpenSandbox:
    name: str
    files: Path


_open_sandbox: ContextVar[OpenSandbox | None] = ContextVar("chartdesk_open_sandbox", default=None)


def open_sandbox() -> OpenSandbox | None:
    return _open_sandbox.get()


def sandbox_files_folder() -> Path | None:
    sandbox = _open_sandbox.get()
    return sandbox.files if sandbox is not None else None


@contextlib.contextmanager
def in_sandbox(sandbox: OpenSandbox | None) -> Iterator[None]:
    token = _open_sandbox.set(sandbox)
    try:
        yield
    finally:
        _open_sandbox.reset(token)
