"""The signed-in user of the current request, for signal handlers that are not handed one.

Role changes arrive through Django's m2m_changed signal, which knows which user was changed but
not who changed it; the request middleware records the acting user here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

_current_user: ContextVar[Any] = ContextVar("chartdesk_current_user", default=None)


def current_user() -> Any:
    return _current_user.get()


def set_current_user(user: Any) -> Any:
    return _current_user.set(user)


def reset_current_user(token: Any) -> None:
    _current_user.reset(token)


# An account action that changes a user's role groups writes one ROLE_CHANGE event saying what
# changed from what to what; the m2m signal in audit/signals.py would otherwise add one event per
# group removed and added. The signal stays on for every other path (shell, scripts, fixtures), so
# no role change ever goes unrecorded.
_role_change_audited_by_action: ContextVar[bool] = ContextVar("chartdesk_role_change_audited", default=False)


def role_change_audited_by_action() -> bool:
    return _role_change_audited_by_action.get()


@contextlib.contextmanager
def auditing_role_change() -> Iterator[None]:
    """Within this block, group changes are audited by the calling action, not by the signal."""
    token = _role_change_audited_by_action.set(True)
    try:
        yield
    finally:
        _role_change_audited_by_action.reset(token)
