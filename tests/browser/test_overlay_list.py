"""The HIM manager opens the overlay list the demo planted and one chart's case, by keyboard; every
page is checked with axe-core by the `page` fixture."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_him_manager_reads_the_overlay_list_and_a_case(server, page, log_in):
    log_in(page, "him_manager")
    page.goto(server.url("/charts/overlays/"))
    expect(page.get_by_role("heading", name="Overlays", exact=True)).to_be_visible()
    first = page.locator("table.data tbody tr a").first
    expect(first).to_contain_text(re.compile(r"MRN \S+"))
    first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Conflicts, side by side")).to_be_visible()
    expect(page.locator("table.data").first).to_contain_text("Date of birth")
    expect(page.get_by_role("button", name="Move the encounters")).to_be_visible()
