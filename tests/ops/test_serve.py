"""`chartdesk serve`: it checks the installation first, then serves the desk and its static files."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.ops.deployment import sqlite_deployment, start_server


def test_serve_refuses_to_start_while_migrations_are_unapplied(tmp_path):
    empty = sqlite_deployment(tmp_path / "site")

    refused = empty.chartdesk("serve", "--port", "8999", check=False, timeout=60)

    assert refused.returncode == 1
    assert "The database lacks" in refused.stderr
    assert "Run `chartdesk migrate` first" in refused.stderr


def test_serve_refuses_a_port_out_of_range(tmp_path):
    refused = sqlite_deployment(tmp_path / "site").chartdesk("serve", "--port", "70000", check=False, timeout=60)
    assert refused.returncode == 1
    assert "--port must be between 1 and 65535, not 70000" in refused.stderr


def test_serve_refuses_to_start_in_production_with_the_demo_secret(tmp_path):
    site = sqlite_deployment(tmp_path / "site")
    site.extra_env["CHARTDESK_MODE"] = "production"

    refused = site.chartdesk("serve", check=False, timeout=60)

    assert refused.returncode == 2
    assert "refuses to start in production mode" in refused.stderr
    assert "CHARTDESK_SECRET_KEY" in refused.stderr


@pytest.mark.timeout(180)
def test_serve_answers_the_health_check_and_sends_pages_with_security_headers(installation):
    server = start_server(installation)
    try:
        with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=10) as answer:
            assert json.loads(answer.read()) == {"status": "ok"}
            assert answer.headers["Cache-Control"] == "no-store, private"
            assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
            assert answer.headers["Server"] == "Chartdesk"
        assert "serving http://127.0.0.1:" in server.log()
    finally:
        server.stop()
    assert server.process.returncode is not None


def test_serve_refuses_to_start_in_production_while_a_demo_user_is_active(tmp_path):
    from tests.ops.test_demo_data import SAFE_PRODUCTION

    site = sqlite_deployment(tmp_path / "site")
    site.extra_env.update(SAFE_PRODUCTION, CHARTDESK_ALLOWED_HOSTS="chartdesk.example.org")
    site.migrate()
    site.python(
        "from django.contrib.auth import get_user_model\n"
        "get_user_model().objects.create_user('coder', email='coder@example.org', password='x' * 20)\n"
    )

    refused = site.chartdesk("serve", "--port", "8998", check=False, timeout=120)

    assert refused.returncode == 1
    assert "chartdesk.E003" in refused.stderr
    assert "The demo users coder are active in a production database" in refused.stderr
    site.chartdesk("deactivate-user", "coder")
    assert "chartdesk.E003" not in site.chartdesk("check", "--deploy", check=False).stderr
