"""Each role's home page and a report with its plot, in Chromium on the demo data."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HOMES = {
    "him_manager": ("Department trends", "manager"),
    "coder": ("Your coding work", "coder"),
    "billing": ("Discharged, not final billed, now", "billing"),
    "roi": ("Open requests by due date", "roi"),
}


def _csp_violations(page):
    found: list[str] = []
    page.on("console", lambda message: found.append(message.text) if "Content Security Policy" in message.text
            else None)
    return found


@pytest.mark.parametrize("role", sorted(HOMES))
def test_each_role_sees_its_dashboard_on_the_home_page(role, page, server, log_in):
    heading, dashboard = HOMES[role]
    violations = _csp_violations(page)
    log_in(page, role)
    section = page.locator(f"[data-dashboard='{dashboard}']")
    expect(section.get_by_role("heading", name=heading)).to_be_visible()
    if role == "him_manager":
        first_plot = section.locator("img").first
        expect(first_plot).to_have_attribute("alt", re.compile("Line chart of"))
        first_plot.scroll_into_view_if_needed()
        # The plots come from their own URL after the page: wait for the first to arrive and draw.
        page.wait_for_function("image => image.complete && image.naturalWidth > 0",
                               arg=first_plot.element_handle(), timeout=60_000)
    assert violations == []


def test_the_manager_opens_a_report_sees_its_plot_and_drills_into_a_number(page, server, log_in):
    violations = _csp_violations(page)
    log_in(page, "him_manager")
    page.goto(server.url("/reports/"))
    page.get_by_role("link", name="Discharged, not final billed (DNFB)").click()
    expect(page.get_by_role("heading", name="Discharged, not final billed (DNFB)", level=1)).to_be_visible()
    plot = page.locator("figure.report-plot img").first
    expect(plot).to_be_visible()
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=plot.element_handle())
    table = page.locator("[data-report-table]")
    expect(table).to_be_visible()
    latest = table.locator("tbody tr").last.locator("td a").first
    count = latest.inner_text()
    latest.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DNFB at the end of")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    listed = int(page.locator("[data-drill-count]").inner_text())
    hidden = page.locator("[data-drill-hidden]")
    # The demo has restricted charts: the manager's list leaves them out and says how many.
    left_out = int(hidden.get_attribute("data-drill-hidden") or 0) if hidden.count() else 0
    assert listed + left_out == int(count)
    assert page.locator("[data-drill-table] tbody tr").count() == listed
    assert violations == []
