"""A registrar pages through a long patient search and re-sorts it by name, every page checked with axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# More patients of one family name than a page holds (LIST_PAGE_SIZE, 50), registered as the desk does.
SETUP = """
from datetime import date
from django.contrib.auth import get_user_model
from chartdesk.patients.actions import do_register_patient
from chartdesk.patients.schemas import PatientRegistration

registrar = get_user_model().objects.get(username="registrar")
for number in range(53):
    given = "Giv" + chr(65 + number // 26) + chr(97 + number % 26)  # GivAa ... GivCa: names have no digits
    do_register_patient(PatientRegistration(given_name=given, family_name="Pagewright",
                                            birth_date=date(1950 + number, 1, 1), sex="F"), acting_user=registrar)
print("ok")
"""


def test_a_long_search_pages_and_sorts_by_name_both_ways(server, page, log_in):
    assert server.python(SETUP).strip().endswith("ok")
    log_in(page, "registrar")
    page.goto(server.url("/patients/?q=pagewright"))
    expect(page.get_by_text("Page 1 of 2 · 53 patients")).to_be_visible()
    assert page.locator(".results li a").count() == 50

    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next").click()
    expect(page.get_by_text("Page 2 of 2 · 53 patients")).to_be_visible()
    assert page.locator(".results li a").count() == 3
    assert "q=pagewright" in page.url and "page=2" in page.url

    sorting = page.get_by_role("navigation", name="Sort the results")
    sorting.get_by_role("link", name="Name").click()
    expect(sorting.locator("a[aria-current]")).to_have_text(re.compile(r"^Name\s*▲\s*\(sorted ascending\)$"))
    assert "page=" not in page.url  # a new order starts on page one
    assert page.locator(".results .name").first.inner_text().startswith("Pagewright, GivAa")

    sorting.get_by_role("link", name=re.compile("^Name")).click()
    expect(sorting.locator("a[aria-current]")).to_contain_text("sorted descending")
    assert page.locator(".results .name").first.inner_text().startswith("Pagewright, GivCa")
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next").click()
    expect(page.get_by_text("Page 2 of 2 · 53 patients")).to_be_visible()
    assert "sort=-name" in page.url
    assert page.locator(".results .name").last.inner_text().startswith("Pagewright, GivAa")
