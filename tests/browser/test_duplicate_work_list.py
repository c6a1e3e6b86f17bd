"""The HIM manager works the duplicate list after a scan: one pair to a merge, another to "not a duplicate"."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAIRS = (
    "import json\n"
    "from chartdesk.patients.models import DuplicateCandidate\n"
    "print(json.dumps({str(c.pk): c.status for c in DuplicateCandidate.objects.all()}))\n"
)


def test_the_him_manager_merges_one_pair_and_marks_another_not_a_duplicate(server, page, log_in):
    server.chartdesk("patients", "duplicates", "scan", "--user", "him_manager")
    log_in(page, "him_manager")
    page.goto(server.url("/patients/duplicates/"))
    expect(page.get_by_role("heading", name="Duplicate work list")).to_be_visible()
    links = page.get_by_role("link", name=re.compile(r"^Compare pair \d+$"))
    assert links.count() >= 2  # the demo's planted duplicates
    first, second = (links.nth(i).inner_text().split()[-1] for i in range(2))

    links.first.click()
    expect(page.get_by_role("heading", name="Evidence per field")).to_be_visible()
    merge = page.locator("form", has=page.get_by_role("button", name="Merge the two charts"))
    merge.get_by_role("radio").first.check()
    merge.get_by_label("Reason for the merge").fill("Duplicate review: same person")
    merge.get_by_role("button", name="Merge the two charts").click()
    expect(page.get_by_text(re.compile(r"Merged MRN \S+ into MRN \S+"))).to_be_visible()

    page.get_by_role("link", name=f"Compare pair {second}").click()
    page.get_by_label("Why they are two people").fill("Checked the IDs: two people")
    page.get_by_role("button", name="Not a duplicate").click()
    expect(page.get_by_text(re.compile("Marked not a duplicate"))).to_be_visible()
    expect(page.get_by_role("link", name=f"Compare pair {second}")).to_have_count(0)

    statuses = json.loads(server.python(PAIRS).strip().splitlines()[-1])
    assert (statuses[first], statuses[second]) == ("merged", "not_duplicate")
