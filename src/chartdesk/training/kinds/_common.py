"""Small helpers the exercise kinds share: reading an answer's parts with errors that name the part,
and credit for a set of things found against the set expected."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chartdesk.training.grading import AnswerError


def require_mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise AnswerError(f"{where} must be a JSON object")
    return value


def require_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise AnswerError(f"{where} must be a list")
    return value


def require_strings(value: Any, where: str) -> list[str]:
    items = require_list(value, where)
    for position, item in enumerate(items, start=1):
        if not isinstance(item, str) or not item.strip():
            raise AnswerError(f"{where}: item {position} must be a non-empty string")
    return [item.strip() for item in items]


def field(mapping: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in mapping:
        raise AnswerError(f"{where} has no {name!r}")
    return mapping[name]


def only_known(given: Iterable[str], known: Iterable[str], where: str) -> None:
    """Refuse an answer that names something the exercise does not have (a typo would silently score 0)."""
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise AnswerError(f"{where}: unknown {', '.join(repr(name) for name in unknown)}")


def set_credit(expected: set[Any], given: set[Any]) -> float:
    """Share of credit for a set answer: right items found, less the wrong ones added, never below 0.

    An empty expected set is fully right only when nothing was given."""
    if not expected:
        return 0.0 if given else 1.0
    right = len(expected & given)
    wrong = len(given - expected)
    return max(0.0, round((right - wrong) / len(expected), 4))


def sandbox_staff(role: str) -> Any:
    """The sandbox's own staff member for `role`, who builds an exercise's records (created once).

    Building goes through the apps' actions like any other work, so it needs someone to act and to be
    named in the audit trail: a no-password account per role, not the student, who may lack the role."""
    from django.contrib.auth import get_user_model

    from chartdesk.accounts.actions import do_create_user
    from chartdesk.accounts.roles import role_label

    username = f"training-{role}"
    existing = get_user_model().objects.filter(username=username).first()
    if existing is not None:
        return existing
    return do_create_user(username, role=role, password=None, acting_user=None,
                          full_name=f"Training {role_label(role)}")
