"""Logging in through the real desk in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_registrar_logs_in_and_lands_on_their_home_page(server, page, log_in):
    log_in(page, "registrar")

    expect(page).to_have_url(server.url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrar / HIM clerk")
    expect(page.get_by_text("Register patients, index scanned paper, correct misfiles.")).to_be_visible()


def test_a_wrong_password_shows_an_error_and_stays_on_the_log_in_page(server, page, log_in):
    log_in(page, "registrar", password="not the password at all")

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("password", re.IGNORECASE))
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Registrar / HIM clerk")
    failed = server.python(
        "from chartdesk.audit.models import AuditEvent\n"
        "print(AuditEvent.objects.filter(action='login_failed', username='registrar').count())\n"
    )
    assert failed.strip() == "1"
