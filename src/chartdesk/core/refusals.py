"""How the desk answers an action's refusal, the same on every page: the status code a refusal
earns (409 for a concurrent change, 403 for a missing permission, 400 for the rest) and the form
error that shows its message beside the field it names."""

from __future__ import annotations

from typing import Any

from chartdesk.core.errors import ChartdeskError, ConcurrentChange, PermissionRefused


def refusal_status(refusal: ChartdeskError) -> int:
    if isinstance(refusal, ConcurrentChange):
        return 409
    if isinstance(refusal, PermissionRefused):
        return 403
    return 400


def add_refusal(form: Any, refusal: ChartdeskError) -> None:
    field = refusal.field if refusal.field in form.fields else None
    form.add_error(field, refusal.message)


def form_status(form: Any, refused: ChartdeskError | None) -> int:
    if refused is not None:
        return refusal_status(refused)
    return 400 if form.errors else 200
