import os
import subprocess
import sys

import pytest

from chartdesk.core.startup import production_problems
from tests.support.databases import sqlite_only

SAFE = dict(
    mode="production",
    debug=False,
    secret_key="s" * 50,
    demo_secret_key="demo",
    database_engine="django.db.backends.postgresql",
    sqlite_synchronous="FULL",
)


def test_safe_production_settings_have_no_problems():
    assert production_problems(**SAFE) == []


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        ({"debug": True}, "CHARTDESK_DEBUG is on"),
        ({"secret_key": "demo"}, "CHARTDESK_SECRET_KEY"),
        ({"secret_key": "short"}, "shorter than 40"),
        ({"database_engine": "django.db.backends.sqlite3", "sqlite_synchronous": "NORMAL"}, "synchronous=NORMAL"),
    ],
)
def test_each_unsafe_production_setting_is_named(change, phrase):
    problems = production_problems(**{**SAFE, **change})
    assert len(problems) == 1
    assert phrase in problems[0]


def test_demo_mode_tolerates_debug_and_default_secret():
    assert production_problems(**{**SAFE, "mode": "demo", "debug": True, "secret_key": "demo"}) == []


def test_unknown_mode_is_refused():
    assert "must be 'demo' or 'production'" in production_problems(**{**SAFE, "mode": "prod"})[0]


def test_chartdesk_command_refuses_to_start_in_production_with_debug(tmp_path):
    env = {
        **os.environ,
        "CHARTDESK_MODE": "production",
        "CHARTDESK_DEBUG": "1",
        "CHARTDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "chartdesk", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "refuses to start in production mode" in result.stderr
    assert "CHARTDESK_DEBUG is on" in result.stderr
    assert "CHARTDESK_SECRET_KEY" in result.stderr


@sqlite_only
@pytest.mark.django_db
def test_sqlite_runs_with_wal_full_sync_and_foreign_keys():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
