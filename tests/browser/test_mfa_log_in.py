"""TOTP multi-factor log-in in a real browser: enrolment from the key shown on screen, then a later
log-in with a fresh code."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _code(manual_key: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows now (or `steps_ahead` 30-second steps from now)."""
    secret = manual_key.replace(" ", "")
    clock = TOTP(base64.b32decode(secret + "=" * (-len(secret) % 8)), step=30, t0=0, digits=6)
    clock.time = time.time() + 30 * steps_ahead
    return f"{clock.token():06d}"


def test_a_role_that_requires_mfa_enrols_then_logs_in_with_a_one_time_code(server, page, log_in):
    server.python(
        "from chartdesk.accounts.actions import do_set_role_mfa\n"
        "from django.contrib.auth import get_user_model\n"
        "admin = get_user_model().objects.get(username='administrator')\n"
        "do_set_role_mfa('privacy_officer', True, acting_user=admin)\n"
    )

    log_in(page, "privacy_officer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    manual_key = page.locator("code").first.inner_text()
    code_box = page.get_by_role("textbox", name=re.compile("six-digit code", re.IGNORECASE))
    code_box.fill("000000" if _code(manual_key) != "000000" else "111111")
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_role("alert")).to_be_visible()  # a wrong code is refused
    page.wait_for_timeout(1_100)  # django-otp makes the next try wait a second after a wrong code

    page.get_by_role("textbox", name=re.compile("six-digit code", re.IGNORECASE)).fill(_code(manual_key))
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page).to_have_url(server.url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy officer (auditor)")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Privacy officer (auditor)")
    log_in(page, "privacy_officer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your one-time code")
    page.goto(server.url("/audit/"))  # the password alone opens nothing
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    log_in(page, "privacy_officer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your one-time code")

    # The code just used may not be replayed; the next time step's code is within the allowed drift.
    page.get_by_role("textbox", name=re.compile("six-digit code", re.IGNORECASE)).fill(_code(manual_key, steps_ahead=1))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy officer (auditor)")

    events = server.python(
        "from chartdesk.audit.models import AuditEvent\n"
        "print(' '.join(AuditEvent.objects.filter(username='privacy_officer', action='mfa')"
        ".order_by('sequence').values_list('outcome', flat=True)))\n"
    )
    assert events.split().count("failure") == 1
    assert events.split().count("success") >= 2
