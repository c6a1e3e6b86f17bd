"""Fail-fast checks that keep an unsafe configuration from ever serving patient data.

Everything here is decided from the settings alone, before Django loads, so every `chartdesk`
command refuses an unsafe production configuration. What needs the database (demo accounts left in
it) is a deployment system check in `core/checks.py`, run by `chartdesk serve` and `check --deploy`.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

# A key must carry as much entropy as the 256-bit HMAC and cipher it keys: `secrets.token_hex(32)`
# (64 hex digits) or `secrets.token_urlsafe(32)` (43 characters) and anything longer pass.
KEY_MIN_BITS = 256
# A string of few distinct characters ("aaaa...", "abab...") is not random whatever its length.
KEY_MIN_DISTINCT = 16
# Lock-out limits above these no longer stop password guessing: NIST SP 800-63B allows at most 100
# failures per account; a clinic's shared address needs more room than one person but not hundreds.
MAX_LOCKOUT_ATTEMPTS = 10
MAX_ADDRESS_LOCKOUT_ATTEMPTS = 100
MIN_LOCKOUT_MINUTES = 1


@dataclass(frozen=True)
class SecuritySettings:
    """The settings production mode judges, as read from the environment."""

    mode: str
    debug: bool
    secret_key: str
    demo_secret_key: str
    database_engine: str
    sqlite_synchronous: str
    audit_key: str | None = None  # None: not set, derived from the secret key
    field_key: str | None = None
    allowed_hosts: tuple[str, ...] = ("localhost",)
    lockout_attempts: int = 5
    address_lockout_attempts: int = 20
    lockout_minutes: int = 30
    https: bool = True
    tls_in_front: bool = False


def key_entropy_bits(key: str) -> float:
    """A generous estimate of the entropy of a key typed into the environment: its length times the
    bits per character of the smallest alphabet it is drawn from (hex, base64url, printable ASCII)."""
    characters = set(key)
    if characters <= set(string.hexdigits):
        per_character = 4.0
    elif characters <= set(string.ascii_letters + string.digits + "-_+/="):
        per_character = 6.0
    else:
        per_character = math.log2(95)
    return len(key.encode()) * per_character if key.isascii() else len(key.encode()) * 8.0


def key_problem(variable: str, key: str | None) -> str | None:
    """Why `key` may not key the audit chain or the field cipher, or None when it may."""
    if key is None:
        return (
            f"{variable} is not set: it would be derived from the secret key, and rotating that key would "
            "orphan what it protects. Set it to `python3 -c \"import secrets; print(secrets.token_hex(32))\"`."
        )
    if not key.strip():
        return f"{variable} is empty."
    if key_entropy_bits(key) < KEY_MIN_BITS or len(set(key)) < KEY_MIN_DISTINCT:
        return (
            f"{variable} is too short or too regular ({len(key)} characters, {len(set(key))} distinct): it needs "
            f"at least {KEY_MIN_BITS // 8} random bytes, e.g. 64 hex digits from secrets.token_hex(32)."
        )
    return None


def production_problems(config: SecuritySettings) -> list[str]:
    """Return a sentence for each reason production mode must refuse to start."""
    if config.mode not in {"demo", "production"}:
        return [f"CHARTDESK_MODE must be 'demo' or 'production', not {config.mode!r}."]
    if config.mode != "production":
        return []
    problems = []
    if config.debug:
        problems.append("CHARTDESK_DEBUG is on: debug pages would show patient data to anyone who hits an error.")
    if config.secret_key == config.demo_secret_key or len(config.secret_key) < 40:
        problems.append(
            "CHARTDESK_SECRET_KEY is missing, the demo default, or shorter than 40 characters: "
            "sessions and the audit chain key would be guessable."
        )
    for variable, key in (("CHARTDESK_AUDIT_KEY", config.audit_key), ("CHARTDESK_FIELD_KEY", config.field_key)):
        problem = key_problem(variable, key)
        if problem:
            problems.append(problem)
    if config.database_engine.endswith("sqlite3") and config.sqlite_synchronous != "FULL":
        problems.append(
            f"SQLite runs with synchronous={config.sqlite_synchronous}: a power cut could lose committed records. "
            "Use CHARTDESK_SQLITE_SYNCHRONOUS=FULL."
        )
    problems += _host_and_transport_problems(config)
    problems += _lockout_problems(config)
    return problems


def _host_and_transport_problems(config: SecuritySettings) -> list[str]:
    problems = []
    hosts = [host for host in config.allowed_hosts if host]
    if not hosts or any(host == "*" or host.startswith("*") for host in hosts):
        problems.append(
            "CHARTDESK_ALLOWED_HOSTS is empty or holds '*': name the host names the desk answers to, so that "
            "links in password and other mails cannot be pointed at another site."
        )
    if not config.https and not config.tls_in_front:
        problems.append(
            "CHARTDESK_HTTPS is off: session cookies would travel in clear. Serve behind TLS with "
            "CHARTDESK_HTTPS=1, or set CHARTDESK_TLS_IN_FRONT=1 if TLS ends at a device in front that "
            "cannot tell Chartdesk so (see docs/operations.md)."
        )
    return problems


def _lockout_problems(config: SecuritySettings) -> list[str]:
    problems = []
    if not 1 <= config.lockout_attempts <= MAX_LOCKOUT_ATTEMPTS:
        problems.append(
            f"CHARTDESK_LOCKOUT_ATTEMPTS is {config.lockout_attempts}: it must be 1 to {MAX_LOCKOUT_ATTEMPTS}, "
            "or passwords can be guessed without the account locking."
        )
    if not config.lockout_attempts <= config.address_lockout_attempts <= MAX_ADDRESS_LOCKOUT_ATTEMPTS:
        problems.append(
            f"CHARTDESK_LOCKOUT_ADDRESS_ATTEMPTS is {config.address_lockout_attempts}: it must be between "
            f"CHARTDESK_LOCKOUT_ATTEMPTS ({config.lockout_attempts}) and {MAX_ADDRESS_LOCKOUT_ATTEMPTS}, or one "
            "address can guess across many accounts without being stopped."
        )
    if config.lockout_minutes < MIN_LOCKOUT_MINUTES:
        problems.append(
            f"CHARTDESK_LOCKOUT_MINUTES is {config.lockout_minutes}: a lock must last at least "
            f"{MIN_LOCKOUT_MINUTES} minute."
        )
    return problems


def refuse_unsafe_production(problems: list[str]) -> None:
    if problems:
        raise ImproperlyConfigured(
            "Chartdesk refuses to start in production mode:\n- " + "\n- ".join(problems)
        )
