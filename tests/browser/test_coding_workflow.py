"""Coding an encounter end to end in Chromium: the coder finds it in the queue, codes it with the
encoder, holds it for a physician query, the provider answers from their home page, and the coder
completes it; billing's read function then returns the codes."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DeskServer

pytestmark = pytest.mark.browser

@pytest.fixture
def server(coded_server: DeskServer) -> DeskServer:
    return coded_server


PICK_ENCOUNTER = """
import json
from django.contrib.auth import get_user_model
from chartdesk.charts.models import Encounter
doctor = get_user_model().objects.get(username="provider").provider
# The coding demo puts the demo's provider log-in on the care team of a few finished stays.
stay = (Encounter.objects.filter(status="finished", patient__restriction="", care_team__provider=doctor,
                                 documents__status="final").distinct().order_by("-discharge_at").first())
document = stay.documents.filter(status="final").select_related("current_version").first()
indicator = next(line.strip() for line in document.current_version.text.splitlines() if len(line.strip()) > 25)
print(json.dumps({"id": stay.pk, "account": stay.account_number, "indicator": indicator, "doctor": str(doctor),
                  "inpatient": stay.encounter_class == "inpatient"}))
"""


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def test_a_coder_codes_an_encounter_with_a_query_answered_by_the_provider(server, page, log_in):
    stay = json.loads(server.python(PICK_ENCOUNTER).strip())
    # The suggestion engine builds its dictionary on its first call in a fresh server (about ten
    # seconds on this machine's size); later pages answer at once.
    page.set_default_timeout(60_000)

    log_in(page, "coder")
    page.get_by_role("link", name="Coding queue", exact=True).click()
    expect(page.get_by_role("heading", name="Coding queue")).to_be_visible()
    page.get_by_role("link", name=stay["account"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(stay["account"])
    expect(page.get_by_text(stay["indicator"]).first).to_be_visible()  # the documents beside the codes
    page.get_by_role("button", name="Start coding").click()

    page.get_by_label("Find a code").fill("heart failure")
    hit = page.locator('[data-hit="I50.9"]')
    expect(hit).to_be_visible()
    if stay["inpatient"]:
        hit.get_by_label("POA for I50.9").select_option("Y")
    hit.get_by_role("button", name="Add I50.9").click()
    expect(page.locator('[data-diagnosis="I50.9"]')).to_contain_text("Heart failure, unspecified")
    expect(page.locator("[data-finding]").first).to_be_visible()  # the edits panel ran on the code list

    page.get_by_label("Query template").select_option(label="Heart failure: type and acuity")
    page.get_by_label("Provider").select_option(label=stay["doctor"])
    page.get_by_label("Clinical indicators, quoted from the documents (one a line)").fill(stay["indicator"])
    page.get_by_role("button", name="Send query and hold").click()
    expect(page.locator("[data-case-status]")).to_have_text("On hold for query")
    log_out(page)

    log_in(page, "provider")
    expect(page.get_by_role("heading", name=re.compile("Coding queries to answer"))).to_be_visible()
    page.get_by_role("link", name="Heart failure: type and acuity").click()
    expect(page.get_by_text(stay["indicator"])).to_be_visible()
    page.get_by_label("Chronic systolic (HFrEF) heart failure", exact=True).check()
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_text("your answer went back to the coder")).to_be_visible()
    log_out(page)

    log_in(page, "coder")
    page.goto(server.url(f"/coding/work/encounter/{stay['id']}/"))
    expect(page.locator("[data-case-status]")).to_have_text("In progress")
    expect(page.locator("[data-query-answer]")).to_contain_text("Chronic systolic (HFrEF) heart failure")
    page.get_by_role("button", name="Complete coding").click()
    expect(page.get_by_text(f"Encounter {stay['account']} is coded and ready for billing.")).to_be_visible()

    coded = server.python(
        "from chartdesk.charts.models import Encounter\n"
        "from chartdesk.coding.workflow.coded import coded_encounter\n"
        f"coded = coded_encounter(Encounter.objects.get(pk={stay['id']}))\n"
        "print([(line.code, line.poa, line.principal) for line in coded.diagnoses])\n"
    )
    assert coded.strip() == str([("I509", "Y" if stay["inpatient"] else "", True)])


def test_a_change_from_a_second_tab_left_behind_is_refused_and_the_reload_shows_the_first(server, page, log_in):
    stay = json.loads(server.python(PICK_ENCOUNTER).strip())
    page.set_default_timeout(60_000)
    screen = server.url(f"/coding/work/encounter/{stay['id']}/")

    log_in(page, "coder")
    page.goto(screen)
    page.get_by_role("button", name="Start coding").click()
    behind = page.context.new_page()  # the same coder's second tab, opened now and then left alone
    behind.set_default_timeout(60_000)
    behind.goto(screen)

    def add(tab, words: str, code: str) -> None:
        tab.get_by_label("Find a code").fill(words)
        hit = tab.locator(f'[data-hit="{code}"]')
        expect(hit).to_be_visible()
        if stay["inpatient"]:
            hit.get_by_label(f"POA for {code}").select_option("Y")
        hit.get_by_role("button", name=f"Add {code}").click()

    add(page, "heart failure", "I50.9")
    expect(page.locator('[data-diagnosis="I50.9"]')).to_be_visible()

    with behind.expect_response(re.compile(r"/codes/$")) as answer:
        add(behind, "hypertension", "I10")
    assert answer.value.status == 409
    expect(behind.locator("[data-stale]")).to_contain_text("changed by")
    expect(behind.locator("[data-stale]")).to_contain_text("nothing was saved")
    behind.get_by_role("link", name="Reload the coding screen").click()
    expect(behind.locator('[data-diagnosis="I50.9"]')).to_be_visible()
    expect(behind.locator('[data-diagnosis="I10"]')).to_have_count(0)
