"""The idle log-off warns first (an alert dialog with "Stay signed in"), keeps the user's place when
they stay, and logs off when nobody answers (WCAG 2.2.1). The page's clock is Playwright's."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

IDLE_SECONDS = 15 * 60


def test_the_warning_comes_before_the_log_off_and_stay_signed_in_extends_the_session(server, page, log_in):
    page.clock.install()
    log_in(page, "coder")
    page.goto(server.url("/coding/work/"))
    field = page.get_by_label("Waiting at least (days)")
    field.focus()
    dialog = page.get_by_role("alertdialog", name="You will be logged off soon")
    assert not dialog.is_visible()

    page.clock.fast_forward((IDLE_SECONDS - 100) * 1000)
    dialog.wait_for(state="visible")
    assert "logged off in 2 minutes." in dialog.inner_text()
    stay = dialog.get_by_role("button", name="Stay signed in")
    assert stay.evaluate("node => node === document.activeElement")

    with page.expect_response(re.compile(r"/accounts/session/stay/$")) as answer:
        stay.click()
    assert answer.value.status == 200
    dialog.wait_for(state="hidden")
    assert field.evaluate("node => node === document.activeElement")  # back where the user was

    # The clock restarted: no warning where the old one would have logged off...
    page.clock.fast_forward(200 * 1000)
    assert not dialog.is_visible()
    assert page.url.endswith("/coding/work/")
    # ...and with nobody answering the next warning, the desk logs off.
    page.clock.fast_forward((IDLE_SECONDS - 200 - 100) * 1000)
    dialog.wait_for(state="visible")
    page.clock.fast_forward(130 * 1000)
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert "You were logged off after a period without activity." in page.content()
