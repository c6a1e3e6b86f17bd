"""After a coding action (a post that shows the coding screen again), focus is back in the form the
coder used, not at the top of the page; the screen's untyped inputs carry the desk's field style."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DeskServer
from tests.browser.test_coding_workflow import PICK_ENCOUNTER

pytestmark = pytest.mark.browser


@pytest.fixture
def server(coded_server: DeskServer) -> DeskServer:
    return coded_server


def test_focus_returns_to_the_add_diagnosis_field_after_adding_one(server, page, log_in):
    stay = json.loads(server.python(PICK_ENCOUNTER).strip())
    page.set_default_timeout(60_000)
    log_in(page, "coder")
    page.goto(server.url(f"/coding/work/encounter/{stay['id']}/"))
    page.get_by_role("button", name="Start coding").click()
    page.wait_for_load_state()

    form = page.get_by_role("form", name="Add a diagnosis")
    if stay["inpatient"]:
        form.get_by_label("POA").select_option("Y")
    field = form.get_by_label("Diagnosis code")
    # An <input> without a type attribute gets the desk's field style, not the browser's thin default.
    assert field.evaluate("n => getComputedStyle(n).borderTopColor") == "rgb(170, 179, 192)"
    assert field.evaluate("n => getComputedStyle(n).paddingLeft") != "2px"
    wrapped = page.evaluate("""() => Array.from(document.querySelectorAll('label')).map(l => {
        const lh = parseFloat(getComputedStyle(l).lineHeight) || 20;
        return [l.textContent.trim().slice(0, 40), Math.round(l.getBoundingClientRect().height / lh)];
    }).filter(p => p[1] > 1)""")
    assert wrapped == []  # no label of the coding screen wraps ("Find a code" took three lines)
    field.fill("I10")
    field.press("Enter")
    page.wait_for_load_state()

    expect(page.get_by_role("table").filter(has_text="I10").first).to_be_visible()
    focused = page.evaluate("document.activeElement && document.activeElement.id")
    assert focused == "add-dx-code"
