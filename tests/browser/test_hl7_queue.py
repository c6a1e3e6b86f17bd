"""The interface analyst (HIM manager) opens the HL7 error queue from the home page, sees the field at
fault highlighted in a refused admission, corrects the message and reprocesses it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HEADER = "MSH|^~\\&|EPICADT|MERCY|CHARTDESK|HIM|20250601083500||ADT^A04^ADT_A04|BROWSER1|P|2.5.1"
BODY = ["EVN|A04|20250601083500", "PID|1||EXT7001^^^MERCY^MR||{family}^Aiko||19720514|F",
        "PV1|1|O|4W^12^A|||||||MED|||||||||V7001"]


def _message(family: str) -> str:
    return "\r".join([HEADER, *(line.format(family=family) for line in BODY)]) + "\r"


def test_the_analyst_fixes_and_reprocesses_a_refused_message(server, page, log_in):
    stored = server.python(
        "from chartdesk.interop.hl7v2.intake import receive_message\n"
        "from chartdesk.interop.system_user import interface_user\n"
        f"outcome = receive_message({_message('')!r}.encode(), acting_user=interface_user())\n"
        "print(outcome.code, outcome.stored_id)\n")
    assert stored.strip().splitlines()[-1].startswith("AE ")

    log_in(page, "him_manager")
    page.goto(server.url("/"))
    page.get_by_role("link", name="HL7 error queue").click()
    expect(page.get_by_role("heading", name="HL7 error queue")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("BROWSER1"))
    expect(row).to_contain_text("PID^1^5")
    row.get_by_role("link", name="BROWSER1").click()

    expect(page.get_by_role("heading", name="HL7 message BROWSER1")).to_be_visible()
    highlighted = page.locator("mark[data-error-field]")
    expect(highlighted).to_have_count(1)
    expect(highlighted).to_have_attribute("data-error-field", "PID-5")
    expect(page.locator("tr.hl7-at-fault")).to_contain_text("error field")

    text = page.get_by_label("Message text")
    fixed = text.input_value().replace("EXT7001^^^MERCY^MR||^Aiko", "EXT7001^^^MERCY^MR||Nakamura^Aiko")
    assert fixed != text.input_value()
    text.fill(fixed)
    page.get_by_role("button", name="Reprocess").click()

    expect(page.get_by_text(re.compile("Reprocessed: .* The message has left the queue"))).to_be_visible()
    expect(page.get_by_text(re.compile("Reprocessed \\(applied\\) by"))).to_be_visible()
    expect(page.get_by_role("button", name="Reprocess")).to_have_count(0)
    expect(page.get_by_text("Revision 1 by")).to_be_visible()
    page.get_by_role("link", name="Back to the queue").click()
    expect(page.get_by_role("row", name=re.compile("BROWSER1"))).to_have_count(0)
    registered = server.python(
        "from chartdesk.patients.models import PatientIdentifier\n"
        "print(PatientIdentifier.objects.get(value='EXT7001').patient.family_name)\n")
    assert registered.strip().splitlines()[-1] == "Nakamura"
