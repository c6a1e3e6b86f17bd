"""The signed-in user of the current request, for signal handlers that are not handed one.

Role changes arrive through Django's m2m_changed signal, which knows which user was changed but
not who changed it; the request middleware records the acting user here.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

_current_user: ContextVar[Any] = ContextVar("chartdesk_current_user", default=None)


def current_user() -> Any:
    return _current_user.get()


def set_current_user(user: Any) -> Any:
    return _current_user.set(user)


def reset_current_user(token: Any) -> None:
    _current_user.reset(token)
