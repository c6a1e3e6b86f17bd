"""The "/" shortcut focuses the search box, and each browser can turn it off (and on again)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import open_patients

pytestmark = pytest.mark.browser


def test_the_slash_shortcut_can_be_turned_off_and_stays_off(server, page, log_in):
    log_in(page, "registrar")
    page.goto(server.url("/patients/"))
    box = page.locator("[data-search-box]")
    page.locator("h1").click()
    page.keyboard.press("/")
    assert box.evaluate("node => node === document.activeElement")

    toggle = page.locator("[data-shortcut-toggle]")
    assert toggle.inner_text() == "Turn off the / shortcut"
    toggle.click()
    assert toggle.inner_text() == "Turn on the / shortcut"

    page.reload()
    page.locator("h1").click()
    page.keyboard.press("/")
    assert not box.evaluate("node => node === document.activeElement")
    assert page.locator("[data-shortcut-toggle]").inner_text() == "Turn on the / shortcut"

    page.locator("[data-shortcut-toggle]").click()
    page.locator("h1").click()
    page.keyboard.press("/")
    assert box.evaluate("node => node === document.activeElement")


def test_arrow_keys_move_focus_through_results_without_aria_selected(server, page, log_in):
    [patient] = open_patients(server, 1)
    log_in(page, "registrar")
    page.goto(server.url("/patients/"))
    page.locator("[data-search-box]").fill(patient["family"])
    page.wait_for_selector(".results li a")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.matches('.results li a')")
    assert page.locator("[aria-selected]").count() == 0
