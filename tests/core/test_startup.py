import os
import subprocess
import sys

import pytest

from chartdesk.core.startup import SecuritySettings, key_problem, production_problems
from tests.support.databases import sqlite_only

GOOD_KEY = "3f9c2a7be01d4c5a9e8f7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928"  # 64 hex digits
SAFE = SecuritySettings(
    mode="production",
    debug=False,
    secret_key="s" * 50,
    demo_secret_key="demo",
    database_engine="django.db.backends.postgresql",
    sqlite_synchronous="FULL",
    audit_key=GOOD_KEY,
    field_key=GOOD_KEY[::-1],
    allowed_hosts=("chartdesk.example.org",),
    lockout_attempts=5,
    address_lockout_attempts=20,
    lockout_minutes=30,
    https=True,
)


def changed(**change: object) -> SecuritySettings:
    return SecuritySettings(**{**SAFE.__dict__, **change})


def test_safe_production_settings_have_no_problems():
    assert production_problems(SAFE) == []


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        ({"debug": True}, "CHARTDESK_DEBUG is on"),
        ({"secret_key": "demo"}, "CHARTDESK_SECRET_KEY"),
        ({"secret_key": "short"}, "shorter than 40"),
        ({"database_engine": "django.db.backends.sqlite3", "sqlite_synchronous": "NORMAL"}, "synchronous=NORMAL"),
        ({"audit_key": ""}, "CHARTDESK_AUDIT_KEY is empty"),
        ({"audit_key": None}, "CHARTDESK_AUDIT_KEY is not set"),
        ({"field_key": "0123456789abcdef0123456789abcdef"}, "CHARTDESK_FIELD_KEY is too short"),  # 128 bits
        ({"field_key": "ab" * 40}, "CHARTDESK_FIELD_KEY is too short or too regular"),
        ({"allowed_hosts": ("*",)}, "CHARTDESK_ALLOWED_HOSTS is empty or holds '*'"),
        ({"allowed_hosts": ()}, "CHARTDESK_ALLOWED_HOSTS is empty"),
        ({"https": False}, "CHARTDESK_HTTPS is off"),
        ({"lockout_attempts": 11}, "CHARTDESK_LOCKOUT_ATTEMPTS is 11: it must be 1 to 10"),
        ({"lockout_attempts": 0}, "CHARTDESK_LOCKOUT_ATTEMPTS is 0"),
        ({"address_lockout_attempts": 1000}, "CHARTDESK_LOCKOUT_ADDRESS_ATTEMPTS is 1000"),
        ({"address_lockout_attempts": 3}, "CHARTDESK_LOCKOUT_ADDRESS_ATTEMPTS is 3"),
        ({"lockout_minutes": 0}, "CHARTDESK_LOCKOUT_MINUTES is 0"),
    ],
)
def test_each_unsafe_production_setting_is_named(change, phrase):
    problems = production_problems(changed(**change))
    assert len(problems) == 1
    assert phrase in problems[0]


def test_tls_ending_in_front_is_an_explicit_alternative_to_https():
    assert production_problems(changed(https=False, tls_in_front=True)) == []


@pytest.mark.parametrize("key", [
    "3f9c2a7be01d4c5a9e8f7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928",  # secrets.token_hex(32)
    "kq3Vb8-xZ1mW0cTnYp7sL2dRfE9gHjUaB4oI6uKyQwM",  # secrets.token_urlsafe(32)
])
def test_keys_made_the_documented_way_are_accepted(key):
    assert key_problem("CHARTDESK_AUDIT_KEY", key) is None


def test_demo_mode_tolerates_debug_and_default_secret():
    assert production_problems(changed(mode="demo", debug=True, secret_key="demo", audit_key=None)) == []


def test_unknown_mode_is_refused():
    assert "must be 'demo' or 'production'" in production_problems(changed(mode="prod"))[0]


def test_chartdesk_command_refuses_to_start_in_production_and_lists_every_problem(tmp_path):
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("CHARTDESK_")},
        "CHARTDESK_MODE": "production",
        "CHARTDESK_DEBUG": "1",
        "CHARTDESK_AUDIT_KEY": "short",
        "CHARTDESK_ALLOWED_HOSTS": "*",
        "CHARTDESK_LOCKOUT_ATTEMPTS": "1000",
        "CHARTDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "chartdesk", "check", "--deploy"], env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "refuses to start in production mode" in result.stderr
    for phrase in ("CHARTDESK_DEBUG is on", "CHARTDESK_SECRET_KEY", "CHARTDESK_AUDIT_KEY is too short",
                   "CHARTDESK_FIELD_KEY is not set", "holds '*'", "CHARTDESK_HTTPS is off",
                   "CHARTDESK_LOCKOUT_ATTEMPTS is 1000"):
        assert phrase in result.stderr


@sqlite_only
@pytest.mark.django_db
def test_sqlite_runs_with_wal_full_sync_and_foreign_keys():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
