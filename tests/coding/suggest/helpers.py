"""Shared helpers for the suggestion tests."""

from __future__ import annotations

from chartdesk.coding.suggest import Suggestion, suggest_codes


def codes(text: str, setting: str = "outpatient", **patient: object) -> set[str]:
    return {suggestion.code for suggestion in suggest_codes(text, setting=setting, **patient)}  # type: ignore[arg-type]


def suggestion(text: str, code: str, setting: str = "outpatient", **patient: object) -> Suggestion:
    found = [item for item in suggest_codes(text, setting=setting, include_excluded=True, **patient)  # type: ignore[arg-type]
             if item.code == code]
    assert found, f"{code} is neither suggested nor excluded"
    return found[0]
