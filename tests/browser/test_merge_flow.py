"""The HIM manager merges a duplicate with the keyboard alone, then undoes the merge."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_patients

pytestmark = pytest.mark.browser


def test_the_him_manager_merges_and_unmerges_with_the_keyboard(server, page, log_in):
    survivor, duplicate = open_patients(server)
    log_in(page, "him_manager")
    page.goto(server.url(f"/patients/{survivor['id']}/merges/"))
    page.get_by_role("link", name="Merge a duplicate into this chart").focus()
    page.keyboard.press("Enter")

    search = page.get_by_label("Find the duplicate record")
    expect(search).to_be_focused()
    search.type(duplicate["mrn"])
    page.keyboard.press("Enter")
    expect(page.locator("#merge-results .results li a").first).to_contain_text(duplicate["mrn"])
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Compare before merging")).to_be_visible()
    expect(page.get_by_role("region", name="Records on each chart")).to_be_visible()
    page.get_by_label("Reason for the merge").focus()
    page.keyboard.type("Duplicate review: same person, same SSN")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.get_by_label(re.compile("I compared both records"))).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(page.get_by_text(re.compile(f"Merged MRN {duplicate['mrn']} into MRN {survivor['mrn']}"))).to_be_visible()
    status = server.python(
        f"from chartdesk.patients.models import Patient\nprint(Patient.objects.get(pk={duplicate['id']}).status)\n"
    )
    assert status.strip().splitlines()[-1] == "merged"

    page.get_by_role("link", name=re.compile("Unmerge")).first.focus()
    page.keyboard.press("Enter")
    page.get_by_label("Reason for undoing the merge").focus()
    page.keyboard.type("Overlay: two people after all")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(f"MRN {duplicate['mrn']} is its own chart again"))).to_be_visible()
