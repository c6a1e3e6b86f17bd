"""Billing in a real browser, from a coded encounter to a downloaded 837P file: a coder codes a finished
visit on the coding screen (diagnoses, CPT lines, complete), then a billing specialist creates the
claim, scrubs it, exports the batch and downloads it; the file passes pyx12 and parses back to that
encounter's codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DeskServer

pytestmark = pytest.mark.browser

@pytest.fixture
def server(coded_server: DeskServer) -> DeskServer:
    return coded_server


# A recent finished office visit of a covered patient that nobody has coded yet.
PICK_VISIT = """
import json
from datetime import timedelta
from django.utils import timezone
from chartdesk.charts.models import Encounter
visit = (Encounter.objects.filter(encounter_class="outpatient", status="finished", patient__restriction="",
                                  patient__coverages__rank="primary", patient__coverages__active=True,
                                  coding_case__isnull=True, admit_at__gte=timezone.now() - timedelta(days=150))
         .distinct().order_by("-admit_at").first())
print(json.dumps({"id": visit.pk, "account": visit.account_number, "doctor": str(visit.attending),
                  "day": timezone.localtime(visit.admit_at).date().isoformat()}))
"""


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def code_on_the_desk(page, server: DeskServer, visit: dict[str, str]) -> None:
    page.goto(server.url(f"/coding/work/encounter/{visit['id']}/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(visit["account"])
    page.get_by_role("button", name="Start coding").click()
    expect(page.locator("[data-case-status]")).to_have_text("In progress")

    for code in ("E11.9", "I10"):
        adding = page.get_by_role("form", name="Add a diagnosis")
        adding.get_by_label("Diagnosis code").fill(code)
        adding.get_by_role("button", name="Add diagnosis").click()
        expect(page.locator(f'[data-diagnosis="{code}"]')).to_be_visible()

    for code, modifiers in (("99214", "25"), ("36415", "")):
        adding = page.get_by_role("form", name="Add a procedure")
        adding.get_by_label("Code system").select_option(label="CPT")
        adding.get_by_label("Procedure code").fill(code)
        adding.get_by_label("Modifiers").fill(modifiers)
        adding.get_by_label("Units").fill("1")
        adding.get_by_label("Procedure date").fill(visit["day"])
        adding.get_by_label("Performed by").select_option(label=visit["doctor"])
        adding.get_by_role("button", name="Add procedure").click()
        expect(page.get_by_role("button", name=f"Remove {code}")).to_be_visible()

    page.get_by_role("button", name="Complete coding").click()
    expect(page.get_by_text(f"Encounter {visit['account']} is coded and ready for billing.")).to_be_visible()


def test_a_coded_encounter_becomes_a_downloaded_837p_with_its_codes(server, page, log_in):
    from tests.support.pyx12_check import pyx12_validate
    from tests.support.reader837 import read_837

    visit = json.loads(server.python(PICK_VISIT).strip().splitlines()[-1])
    # The suggestion engine builds its dictionary on the coding screen's first call in a fresh server.
    page.set_default_timeout(60_000)

    log_in(page, "coder")
    code_on_the_desk(page, server, visit)
    log_out(page)

    log_in(page, "billing")
    page.goto(server.url("/billing/claims/"))
    page.get_by_role("button", name=re.compile(r"Create and scrub claims \(1 to bill\)")).click()
    expect(page.get_by_text("Claims are being created and scrubbed in the background")).to_be_visible()
    server.chartdesk("worker", "--batch", "--no-startup-delay", "--no-reload")  # the claim run is a job
    page.get_by_role("link", name="Jobs").click()
    expect(page.get_by_text("1 claims created, 1 ready to send")).to_be_visible()
    page.goto(server.url("/billing/claims/"))
    page.get_by_role("table").get_by_role("link", name=re.compile(r"CD\d{10}")).click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Ready to send")
    claim_number = re.search(r"CD\d{10}", heading.inner_text()).group(0)
    lines = page.get_by_role("region", name="Service lines")
    expect(lines).to_contain_text("99214")
    expect(lines).to_contain_text("36415")

    page.get_by_role("button", name="Scrub again").click()  # the scrubber passes it: it stays ready to send
    expect(page.get_by_text("Claim updated.")).to_be_visible()
    expect(heading).to_contain_text("Ready to send")
    expect(page.get_by_role("region", name="Scrubber findings")).to_contain_text("None.")

    page.get_by_role("link", name="837P batches").first.click()
    page.get_by_role("button", name=re.compile("Write an 837P batch")).click()
    expect(page.get_by_text("written with 1 claims")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download 837P").first.click()
    download = download_info.value
    assert re.fullmatch(r"837P-\d{9}\.txt", download.suggested_filename)
    content = Path(download.path()).read_text(encoding="ascii")

    assert pyx12_validate(content).errors == []
    [claim] = read_837(content).claims
    assert claim.claim_number == claim_number
    assert claim.diagnoses == ("E119", "I10")
    assert [(line.code, line.modifiers, line.pointers) for line in claim.lines] == [
        ("99214", ("25",), (1, 2)), ("36415", (), (1, 2)),
    ]
    assert {line.service_date.isoformat() for line in claim.lines if line.service_date} == {visit["day"]}
