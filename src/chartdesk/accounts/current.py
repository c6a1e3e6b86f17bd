"""The signed-in user of the current request, for signal handlers that are not handed one.

Role changes arrive through Django's m2m_changed signal, which knows which user was changed but
not who changed it; the request middleware records the acting user (in core.context, re-exported here).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from chartdesk.core.context import current_user, reset_current_user, set_current_user

__all__ = ["current_user", "reset_current_user", "set_current_user"]

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
