"""Coding an inpatient stay in Chromium: the working MS-DRG appears with the principal diagnosis,
moves when a CC is added and back when it is removed, moves again when the diagnoses are
resequenced, and names the diagnosis behind it."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DeskServer

pytestmark = pytest.mark.browser


@pytest.fixture
def server(coded_server: DeskServer) -> DeskServer:
    return coded_server


PICK_STAY = """
import json
from chartdesk.charts.models import Encounter
from chartdesk.coding.models import CodeSetRelease
# A stay the loaded ICD-10-CM release covers, not restricted, that nobody has started coding.
release = CodeSetRelease.objects.current("icd10cm")
stay = (Encounter.objects.filter(status="finished", encounter_class="inpatient", patient__restriction="",
                                 coding_case__isnull=True, discharge_at__date__gte=release.effective_from)
        .order_by("-discharge_at").first())
print(json.dumps({"id": stay.pk, "account": stay.account_number}))
"""


def add_diagnosis(page, code: str) -> None:
    form = page.get_by_role("form", name="Add a diagnosis")
    form.get_by_label("Diagnosis code").fill(code)
    form.get_by_label("POA").select_option("Y")
    form.get_by_role("button", name="Add diagnosis").click()
    expect(page.locator(f'[data-diagnosis="{code}"]')).to_be_visible()


def test_a_coder_sees_the_working_drg_move_as_codes_are_added_removed_and_resequenced(server, page, log_in):
    stay = json.loads(server.python(PICK_STAY).strip().splitlines()[-1])
    page.set_default_timeout(60_000)  # the suggestion engine's first call in a fresh server is slow
    log_in(page, "coder")
    page.goto(server.url(f"/coding/work/encounter/{stay['id']}/"))
    page.get_by_role("button", name="Start coding").click()

    add_diagnosis(page, "I50.23")
    drg = page.locator("[data-working-drg]")
    expect(drg.locator("[data-drg]")).to_have_attribute("data-drg", "293")
    expect(drg).to_contain_text("Heart Failure and Shock without CC/MCC")

    add_diagnosis(page, "N18.4")
    expect(drg.locator("[data-drg]")).to_have_attribute("data-drg", "292")
    expect(drg.locator("[data-cc-mcc]")).to_have_text("CC from N184")
    expect(drg.locator('[data-role="N184"]')).to_contain_text("the CC of this DRG")

    page.get_by_role("button", name="Remove N18.4").click()
    expect(drg.locator("[data-drg]")).to_have_attribute("data-drg", "293")
    expect(drg.locator("[data-history-drg]")).to_have_count(3)
    expect(drg.locator("[data-history-drg]").last).to_contain_text("removed N18.4")

    # Pneumonia as a secondary diagnosis is the MCC of the heart failure DRG.
    add_diagnosis(page, "J18.9")
    expect(drg.locator("[data-drg]")).to_have_attribute("data-drg", "291")
    expect(drg.locator("[data-cc-mcc]")).to_have_text("MCC from J189")
    # Resequenced, the pneumonia is principal and the heart failure becomes its MCC.
    page.get_by_role("button", name="Make J18.9 principal").click()
    expect(drg.locator("[data-drg]")).to_have_attribute("data-drg", "193")
    expect(drg).to_contain_text("Simple Pneumonia and Pleurisy with MCC")
    expect(drg.locator("[data-cc-mcc]")).to_have_text("MCC from I5023")
    expect(drg.locator("[data-history-drg]")).to_have_count(5)
