"""Billing in a real browser: from a charged encounter to a claim and a downloaded 837P file."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _a_charged_encounter(server) -> dict[str, str]:
    found = server.python(
        "import json\n"
        "from chartdesk.billing.models import Charge\n"
        "c = Charge.objects.filter(encounter__claims__isnull=True).select_related('encounter').order_by('pk').first()\n"
        "print(json.dumps({'id': c.encounter_id, 'account': c.encounter.account_number, 'code': c.code}))\n"
    )
    return json.loads(found.strip().splitlines()[-1])


def test_billing_specialist_claims_a_charged_encounter_and_downloads_the_837p(server, page, log_in):
    encounter = _a_charged_encounter(server)
    log_in(page, "billing")
    page.goto(server.url(f"/billing/encounter/{encounter['id']}/charges/"))
    expect(page.get_by_role("heading", name=f"Charges for encounter {encounter['account']}")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text(encounter["code"])

    page.get_by_role("button", name="Create claim").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Claim CD")
    expect(heading).to_contain_text("Ready to send")
    claim_number = re.search(r"CD\d{10}", heading.inner_text()).group(0)

    page.get_by_role("link", name="837P batches").first.click()
    page.get_by_role("button", name=re.compile("Write an 837P batch")).click()
    expect(page.get_by_text("written with")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download 837P").first.click()
    download = download_info.value
    assert download.suggested_filename == "837P-000000001.txt"
    content = open(download.path(), encoding="ascii").read()
    assert content.startswith("ISA*00*")
    assert f"CLM*{claim_number}*" in content
    assert "ST*837*0001*005010X222A1~" in content
