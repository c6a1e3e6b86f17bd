"""Fail-fast checks that keep an unsafe configuration from ever serving patient data."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


def production_problems(
    *,
    mode: str,
    debug: bool,
    secret_key: str,
    demo_secret_key: str,
    database_engine: str,
    sqlite_synchronous: str,
) -> list[str]:
    """Return a sentence for each reason production mode must refuse to start."""
    if mode not in {"demo", "production"}:
        return [f"CHARTDESK_MODE must be 'demo' or 'production', not {mode!r}."]
    if mode != "production":
        return []
    problems = []
    if debug:
        problems.append("CHARTDESK_DEBUG is on: debug pages would show patient data to anyone who hits an error.")
    if secret_key == demo_secret_key or len(secret_key) < 40:
        problems.append(
            "CHARTDESK_SECRET_KEY is missing, the demo default, or shorter than 40 characters: "
            "sessions and the audit chain key would be guessable."
        )
    if database_engine.endswith("sqlite3") and sqlite_synchronous != "FULL":
        problems.append(
            f"SQLite runs with synchronous={sqlite_synchronous}: a power cut could lose committed records. "
            "Use CHARTDESK_SQLITE_SYNCHRONOUS=FULL."
        )
    return problems


def refuse_unsafe_production(problems: list[str]) -> None:
    if problems:
        raise ImproperlyConfigured(
            "Chartdesk refuses to start in production mode:\n- " + "\n- ".join(problems)
        )
