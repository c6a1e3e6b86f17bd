"""A hospital stay billed on an 837I in a real browser and its rejection worked: a coded inpatient stay becomes a
facility claim, the 837I batch is written and downloaded (pyx12 validates it), the clearinghouse's 277CA
rejecting the claim is uploaded on the rejection work list, the biller opens the claim from the list, records
what was fixed and sends it again, and the claim leaves in the next 837I batch."""

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


# A discharged inpatient stay of a covered patient nobody has coded, coded and completed as the coder would on
# the coding desk (the coding screen has its own browser tests): pneumonia and heart failure, both present on
# admission, with the inpatient abstract.
CODE_A_STAY = """
import json
from django.contrib.auth import get_user_model
from chartdesk.charts.models import Encounter
from chartdesk.coding.workflow import actions as coding
stay = (Encounter.objects.filter(encounter_class="inpatient", status="finished", discharge_at__isnull=False,
                                 care_team__role="attending", patient__restriction="",
                                 patient__coverages__rank="primary", patient__coverages__active=True,
                                 coding_case__isnull=True)
        .distinct().order_by("-discharge_at").first())
coder = get_user_model().objects.get(username="coder")
case = coding.do_start_coding(stay, acting_user=coder)
for code in ("J18.9", "I50.9"):
    coding.do_add_diagnosis(case, code, poa="Y", acting_user=coder)
coding.do_set_inpatient_abstract(case, admission_type="1", admission_source="1", discharge_status="01",
                                 acting_user=coder)
coding.do_complete_coding(case, acting_user=coder)
print(json.dumps({"id": stay.pk, "account": stay.account_number}))
"""

CLAIM_OF_STAY = """
from chartdesk.billing.models import Claim
print(Claim.objects.get(encounter_id={id}, kind="institutional").claim_number)
"""


def test_an_inpatient_stay_is_billed_on_an_837i_rejected_by_a_277ca_worked_and_sent_again(server, page, log_in,
                                                                                          tmp_path):
    from tests.billing.test_277ca import ca277
    from tests.billing.test_institutional import pyx12_checks

    stay = json.loads(server.python(CODE_A_STAY).strip().splitlines()[-1])
    page.set_default_timeout(60_000)
    log_in(page, "billing")

    page.goto(server.url("/billing/claims/"))
    page.get_by_role("button", name=re.compile(r"Create facility claims, 837I")).click()
    expect(page.get_by_text(re.compile(r"\d+ institutional claims created"))).to_be_visible()
    claim_number = server.python(CLAIM_OF_STAY.format(id=stay["id"])).strip().splitlines()[-1]
    page.get_by_role("table").get_by_role("link", name=claim_number).click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Ready to send")
    expect(page.get_by_text("Institutional (837I, UB-04)")).to_be_visible()

    page.get_by_role("link", name="837P batches").first.click()
    page.get_by_role("button", name=re.compile("Write an 837I batch")).click()
    expect(page.get_by_text("written with")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download 837I").first.click()
    first = Path(download_info.value.path()).read_text(encoding="ascii")
    assert re.fullmatch(r"837I-\d{9}\.txt", download_info.value.suggested_filename)
    assert f"CLM*{claim_number}*" in first and ":A:1*" in first  # an original inpatient bill, type 111
    assert pyx12_checks(first) == []

    # The clearinghouse rejects it: the billing provider's NPI is invalid for this payer.
    answer = tmp_path / "rejected.277"
    answer.write_bytes(ca277((claim_number, "A7:562:85")))
    page.get_by_role("link", name="Rejections (277CA)").first.click()
    page.get_by_label("File").set_input_files(str(answer))
    page.get_by_role("button", name="Import the 277CA").click()
    expect(page.get_by_text("0 claims accepted, 1 rejected, 0 pending.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=claim_number)
    expect(row).to_contain_text("rejected for invalid information")
    expect(row).to_contain_text("National Provider Identifier")
    row.get_by_role("link", name=f"Correct {claim_number}").click()

    expect(heading).to_contain_text("Rejected")
    work = page.get_by_role("region", name="Work the rejection")
    work.get_by_label("What was fixed").fill("Billing NPI confirmed with the clearinghouse's enrolment")
    work.get_by_role("button", name="Scrub and send again").click()
    expect(page.get_by_text("Claim reopened: ready to send.")).to_be_visible()
    expect(heading).to_contain_text("Ready to send")
    expect(page.get_by_role("region", name="Reopenings")).to_contain_text("Billing NPI confirmed")

    page.get_by_role("link", name="Rejections (277CA)").first.click()
    expect(page.get_by_role("row").filter(has_text=claim_number)).to_have_count(0)

    page.get_by_role("link", name="837P batches").first.click()
    page.get_by_role("button", name=re.compile("Write an 837I batch")).click()
    expect(page.get_by_text("written with")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download 837I").first.click()
    second = Path(download_info.value.path()).read_text(encoding="ascii")
    assert second != first
    assert f"CLM*{claim_number}*" in second and "REF*F8" not in second  # sent again as an original
    assert pyx12_checks(second) == []
