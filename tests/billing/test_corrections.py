"""Sending a claim again: a corrected claim (frequency 7) or a void (8) of a claim the payer adjudicated, on the
837P (CLM05-3) and the 837I (the bill type's third digit), naming the payer's claim number in REF*F8 and
checked by pyx12 and the LinuxForHealth reader; a 277CA rejection worked from the rejection list and sent
again as an original; a hospital's secondary claim carrying the primary's line adjudication (2430) from the
posted 835; refusals that change nothing; other roles refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.billing.actions import do_add_coverage, do_create_claim
from chartdesk.billing.claim_status import do_import_277ca
from chartdesk.billing.corrections import do_correct_claim
from chartdesk.billing.export import do_export_837
from chartdesk.billing.institutional.actions import do_create_facility_claim
from chartdesk.billing.institutional.export import do_export_837i
from chartdesk.billing.models import Claim, ClaimCorrection, ClaimKind, ClaimStatus, X12Batch
from chartdesk.billing.remittance import do_import_835
from chartdesk.core.errors import ChartdeskError
from tests.billing.remits import Paid, remit_835
from tests.billing.test_277ca import ca277
from tests.billing.test_institutional import CDM, code, pyx12_checks, read_837i_text
from tests.coding.workflow.conftest import finished_encounter
from tests.support import factories
from tests.support.pyx12_check import pyx12_validate

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def desk(client_for, billing_user):
    return client_for(billing_user)


@pytest.fixture
def paid_claim(charged_visit, billing_user):
    """A professional claim sent and paid in full; the payer knows it as PCN<claim number>."""
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    do_export_837(acting_user=billing_user)
    do_import_835(remit_835([Paid(claim.claim_number, D("152.00"), D("152.00"))], trace="PAID1"),
                  acting_user=billing_user)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    return claim


@pytest.mark.parametrize(("frequency", "clm05"), [("7", "11:B:7"), ("8", "11:B:8")])
def test_a_paid_claim_is_sent_again_as_a_replacement_or_void_naming_the_payers_claim(
        paid_claim, desk, billing_user, frequency, clm05):
    page = desk.get(f"/billing/claim/{paid_claim.pk}/").content.decode()
    assert "Corrected claim or void" in page and f"PCN{paid_claim.claim_number}" in page
    answer = desk.post(f"/billing/claim/{paid_claim.pk}/", {"correct": "1", "frequency": frequency,
                                                           "reason": "Wrong modifier on line 1"})
    assert answer.status_code == 302
    paid_claim.refresh_from_db()
    assert paid_claim.status == ClaimStatus.READY
    correction = ClaimCorrection.objects.get(claim=paid_claim)
    assert (correction.frequency, correction.payer_claim_number, correction.status_before) == \
        (frequency, f"PCN{paid_claim.claim_number}", "paid")
    assert AuditEvent.objects.filter(object_type="claim", object_id=str(paid_claim.pk),
                                     detail__frequency=frequency).exists()
    batch = do_export_837(acting_user=billing_user)
    assert f"CLM*{paid_claim.claim_number}*152***{clm05}*Y*A*Y*Y~" in batch.content
    assert f"REF*F8*PCN{paid_claim.claim_number}~" in batch.content
    assert pyx12_validate(batch.content).errors == []
    assert "Reopenings" in desk.get(f"/billing/claim/{paid_claim.pk}/").content.decode()


def test_a_claim_the_payer_never_adjudicated_cannot_be_replaced_and_nothing_changes(charged_visit, billing_user,
                                                                                     desk):
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    answer = desk.post(f"/billing/claim/{claim.pk}/", {"correct": "1", "frequency": "7", "reason": "Fix"})
    assert answer.status_code == 400
    assert "was not adjudicated by the payer: there is nothing to replace or void" in answer.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY and not ClaimCorrection.objects.exists()


@pytest.mark.parametrize(("posted", "message"), [
    ({"correct": "1", "frequency": "7", "reason": ""}, "Say what is corrected and why."),
    ({"correct": "1", "frequency": "5", "reason": "x"}, "Select a valid choice"),
])
def test_a_correction_without_its_reason_or_frequency_is_refused(paid_claim, desk, posted, message):
    answer = desk.post(f"/billing/claim/{paid_claim.pk}/", posted)
    assert answer.status_code == 400 and message in answer.content.decode()
    paid_claim.refresh_from_db()
    assert paid_claim.status == ClaimStatus.PAID and not ClaimCorrection.objects.exists()


def test_a_claim_without_the_payers_number_is_not_replaced(charged_visit, billing_user):
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    do_export_837(acting_user=billing_user)
    do_import_277ca(ca277((claim.claim_number, "A1:19:PR")), acting_user=billing_user)  # accepted, no REF*1K
    claim.refresh_from_db()
    with pytest.raises(ChartdeskError, match="payer's claim number of .* is not known"):
        do_correct_claim(claim, frequency="7", reason="Fix", acting_user=billing_user)
    assert not ClaimCorrection.objects.exists()


@pytest.mark.parametrize("role", ["coder", "registrar", "roi"])
def test_other_roles_cannot_correct_a_claim(role, paid_claim, client_for):
    user = factories.make_user(role, username=f"someone-{role}")
    answer = client_for(user).post(f"/billing/claim/{paid_claim.pk}/", {"correct": "1", "frequency": "7",
                                                                       "reason": "x"})
    assert answer.status_code == 403
    with pytest.raises(ChartdeskError):
        do_correct_claim(paid_claim, frequency="7", reason="x", acting_user=user)
    assert not ClaimCorrection.objects.exists()


def test_a_277ca_rejection_is_worked_from_the_list_and_leaves_in_the_next_batch_as_an_original(
        charged_visit, billing_user, desk):
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    do_export_837(acting_user=billing_user)
    do_import_277ca(ca277((claim.claim_number, "A7:562:85")), acting_user=billing_user)
    rejections = desk.get("/billing/rejections/").content.decode()
    assert f'href="/billing/claim/{claim.pk}/#resend-heading">Correct {claim.claim_number}' in rejections
    page = desk.get(f"/billing/claim/{claim.pk}/").content.decode()
    assert "Work the rejection" in page and "Corrected claim or void" not in page
    refused = desk.post(f"/billing/claim/{claim.pk}/", {"resend": "1", "reason": ""})
    assert refused.status_code == 400 and "Say what was fixed" in refused.content.decode()
    desk.post(f"/billing/claim/{claim.pk}/", {"resend": "1", "reason": "Billing NPI corrected in set-up"})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY
    assert ClaimCorrection.objects.get(claim=claim).frequency == "1"
    assert claim.claim_number not in desk.get("/billing/rejections/").content.decode()
    batch = do_export_837(acting_user=billing_user)
    assert f"CLM*{claim.claim_number}*152***11:B:1*" in batch.content and "REF*F8" not in batch.content


@pytest.fixture
def hospital_claim(organisation, billing_user, covered_patient, staff):
    from chartdesk.billing.institutional.actions import do_load_chargemaster

    do_load_chargemaster(CDM, acting_user=billing_user)
    stay = finished_encounter(staff, patient=covered_patient, length_days=3, days_ago=4)
    code(staff, stay, ("J18.9", "I50.9", "W11.XXXA/1"), pcs=("0SR9019",))
    claim = do_create_facility_claim(stay, acting_user=billing_user)
    do_export_837i(acting_user=billing_user)
    claim.refresh_from_db()
    return claim


def stay_paid_by_line(claim: Claim, trace: str) -> bytes:
    """Room and board (0120, 5400.00) and the operating room (0360, 9100.00) answered line by line."""
    return remit_835([Paid(claim.claim_number, D("14500.00"), D("11000.00"), services=[
        ("NU:0120", D("5400.00"), D("4000.00"), [("CO", "45", D("1000.00")), ("PR", "1", D("400.00"))]),
        ("NU:0360", D("9100.00"), D("7000.00"), [("CO", "45", D("2100.00"))]),
    ])], trace=trace)


def test_a_paid_stay_is_corrected_on_the_837i_as_bill_type_117(hospital_claim, billing_user, tmp_path):
    do_import_835(stay_paid_by_line(hospital_claim, "STAY1"), acting_user=billing_user)
    hospital_claim.refresh_from_db()
    do_correct_claim(hospital_claim, frequency="7", reason="Discharge status corrected", acting_user=billing_user)
    batch = do_export_837i(acting_user=billing_user)
    assert f"CLM*{hospital_claim.claim_number}*14500***11:A:7**A*Y*Y~" in batch.content
    assert f"REF*F8*PCN{hospital_claim.claim_number}~" in batch.content
    assert pyx12_checks(batch.content) == []
    [read] = read_837i_text(batch.content, tmp_path)
    assert read["claim_number"] == hospital_claim.claim_number and read["bill_type"] == "117"


def test_a_hospitals_secondary_claim_is_an_837i_carrying_the_primarys_line_adjudication(
        hospital_claim, billing_user, medicare, client_for):
    do_add_coverage(hospital_claim.patient, payer=medicare, rank="secondary", member_id="1EG4TE5MK73",
                    acting_user=billing_user)
    result = do_import_835(stay_paid_by_line(hospital_claim, "STAY2"), acting_user=billing_user)
    [secondary] = result.secondary_claims
    assert secondary.kind == ClaimKind.INSTITUTIONAL and secondary.institutional.bill_type == "0111"
    assert list(secondary.lines.values_list("revenue_code", flat=True)) == ["0120", "0360"]
    secondary.refresh_from_db()
    assert secondary.status == ClaimStatus.READY, list(secondary.findings.values_list("message", flat=True))
    batch = do_export_837i(acting_user=billing_user, claims=[secondary])
    content = batch.content
    assert "SBR*S*18*" in content and "SBR*P*18*" in content  # the secondary, then the primary in 2320
    # loop 2430 per line: the primary's payer ID, its payment, the revenue code, units paid, CAS, DTP*573
    assert "SVD*ACME1*4000**0120*1~\nCAS*CO*45*1000~\nCAS*PR*1*400~\nDTP*573*D8*20261120~" in content
    assert "SVD*ACME1*7000**0360*1~\nCAS*CO*45*2100~\nDTP*573*D8*20261120~" in content
    assert "AMT*D*11000~" in content
    # pyx12 alone: these lines have no HCPCS, so SVD03 is left out as the guide allows, and the LinuxForHealth
    # reader wrongly insists on it (docs/billing.md, "Validators").
    assert pyx12_checks(content) == []
    page = client_for(billing_user).get(f"/billing/claim/{secondary.pk}/").content.decode()
    assert "Each line goes to this payer with the primary&#x27;s decision on it" in page \
        or "Each line goes to this payer with the primary's decision on it" in page
    assert X12Batch.objects.filter(kind=ClaimKind.INSTITUTIONAL).count() == 2
