"""277CA claim acknowledgements: the guide's own examples read as published; a 277CA answering our batch
marks each claim accepted or rejected with the reason in plain English, the rejections are the biller's
work list, a malformed file changes nothing, and only billing staff may import one."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from chartdesk.audit.models import AuditEvent
from chartdesk.billing.actions import do_create_claim, do_scrub_claim
from chartdesk.billing.claim_status import do_import_277ca, rejection_work_list
from chartdesk.billing.export import do_export_837
from chartdesk.billing.models import ClaimStatus, ClaimStatusAnswer, ClaimStatusReport
from chartdesk.billing.x12.parser277 import parse_277ca
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from tests.billing.conftest import coded, visit_on
from tests.support import factories

PUBLIC = Path(__file__).resolve().parents[1] / "data" / "x12" / "277ca"


def ca277(*answers: tuple[str, str], gs08: str = "005010X214") -> bytes:
    """A 277CA from a clearinghouse answering our claims: (claim number, STC01) each."""
    body = ["ST*277*0001*005010X214", "BHT*0085*08*277X1*20261201*1200*TH", "HL*1**20*1",
            "NM1*AY*2*EXAMPLE CLEARINGHOUSE*****46*CLEAR01", "TRN*1*TRACE1", "DTP*050*D8*20261201",
            "DTP*009*D8*20261201", "HL*2*1*21*1", "NM1*41*2*PRAIRIE FAMILY MEDICINE*****46*PFM0001",
            "TRN*2*BATCH1", "STC*A1:19:PR*20261201*WQ*100", "HL*3*2*19*1",
            "NM1*85*2*PRAIRIE FAMILY MEDICINE*****XX*1234567893"]
    for number, (claim_number, status) in enumerate(answers, start=4):
        body += [f"HL*{number}*3*PT", "NM1*QC*1*DOE*JOHN****MI*XJ123456789", f"TRN*2*{claim_number}",
                 f"STC*{status}*20261201*{'WQ' if status.startswith('A2') else 'U'}*137",
                 *(["REF*1K*PAYER" + claim_number] if status.startswith("A2") else []), "DTP*472*D8*20261120"]
    body.append(f"SE*{len(body) + 1}*0001")
    text = ["ISA*00*          *00*          *ZZ*CLEAR01        *ZZ*PFM0001        *261201*1200*^*00501*000000123*0*T*:",
            f"GS*HN*CLEAR01*PFM0001*20261201*1200*123*X*{gs08}", *body, "GE*1*123", "IEA*1*000000123"]
    return ("~\n".join(text) + "~\n").encode()


def test_the_guides_examples_read_as_published():
    first = parse_277ca((PUBLIC / "example1.277").read_text())
    assert first.sender == "FIRST CLEARINGHOUSE" and [c.claim_number for c in first.claims] == \
        ["4001/1339", "2890/4", "00000000000000000000"]
    rejected = first.claims[1]
    assert rejected.rejected and (rejected.statuses[0].category, rejected.statuses[0].code) == ("A3", "21")
    assert [(p, s.code) for p, s in rejected.line_statuses] == [("HC:22305:22", "122"), ("HC:22305:22", "153")]
    batch_only = parse_277ca((PUBLIC / "example2.277").read_text())
    assert batch_only.claims == [] and batch_only.batch_statuses[0].category == "A3"
    third = parse_277ca((PUBLIC / "example3.277").read_text())
    assert [c.accepted for c in third.claims] == [True, False, False, True, True]
    assert third.claims[0].payer_claim_number == "220216359803X"


@pytest.fixture
def sent(charged_visit, covered_patient, billing_user, clinician, service_day):
    """Two claims sent in one 837P batch."""
    second = visit_on(covered_patient, service_day)
    from chartdesk.billing.actions import do_create_charges

    do_create_charges(second, coded(clinician, service_day, procedures=(("99214", (), 1),)), acting_user=billing_user)
    claims = [do_create_claim(visit, acting_user=billing_user) for visit in (charged_visit, second)]
    do_export_837(acting_user=billing_user)
    for claim in claims:
        claim.refresh_from_db()
    return claims


@pytest.mark.django_db
def test_a_277ca_accepts_one_claim_and_rejects_the_other_with_the_reason(sent, billing_user, client_for):
    accepted, rejected = sent
    result = do_import_277ca(ca277((accepted.claim_number, "A2:20:PR"), (rejected.claim_number, "A7:562:85"),
                                   ("NOT-OURS-1", "A3:21")), acting_user=billing_user, file_name="ack.277")
    assert (result.accepted, result.rejected, result.unmatched) == ([accepted.claim_number],
                                                                    [rejected.claim_number], ["NOT-OURS-1"])
    accepted.refresh_from_db()
    rejected.refresh_from_db()
    assert (accepted.status, rejected.status) == (ClaimStatus.ACCEPTED, ClaimStatus.REJECTED)
    answer = ClaimStatusAnswer.objects.get(claim=rejected)
    assert answer.statuses[0][3] == ("Acknowledgement: rejected for invalid information; entity's National "
                                     "Provider Identifier (NPI) (billing provider)")
    assert ClaimStatusAnswer.objects.get(claim=accepted).payer_claim_number == "PAYER" + accepted.claim_number
    assert ClaimStatusAnswer.objects.get(claim_number="NOT-OURS-1").claim is None
    assert [a.claim for a in rejection_work_list()] == [rejected]
    assert AuditEvent.objects.filter(object_type="claim", object_id=str(rejected.pk),
                                     detail__outcome="rejected").exists()
    page = client_for(billing_user).get("/billing/rejections/").content.decode()
    assert rejected.claim_number in page and "rejected for invalid information" in page
    assert accepted.claim_number not in page
    claim_page = client_for(billing_user).get(f"/billing/claim/{rejected.pk}/").content.decode()
    assert "Claim acknowledgements (277CA)" in claim_page and "A7:562:85" not in claim_page  # plain English


@pytest.mark.django_db
def test_a_rejected_claim_is_corrected_scrubbed_and_sent_again(sent, billing_user):
    _, rejected = sent
    do_import_277ca(ca277((rejected.claim_number, "A7:562:85")), acting_user=billing_user)
    rejected.refresh_from_db()
    do_scrub_claim(rejected, acting_user=billing_user)
    rejected.refresh_from_db()
    assert rejected.status == ClaimStatus.READY
    batch = do_export_837(acting_user=billing_user)
    assert f"CLM*{rejected.claim_number}*" in batch.content
    assert rejection_work_list() == []


@pytest.mark.django_db
def test_the_same_file_twice_changes_nothing(sent, billing_user):
    content = ca277((sent[0].claim_number, "A2:20:PR"))
    do_import_277ca(content, acting_user=billing_user)
    events = AuditEvent.objects.count()
    assert do_import_277ca(content, acting_user=billing_user).already_imported
    assert ClaimStatusReport.objects.count() == 1 and AuditEvent.objects.count() == events


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "message"), [
    (ca277(("C1", "A2:20:PR"), gs08="005010X212"), "this is not a 277CA claim acknowledgement"),
    (ca277(("C1", ":20:PR")), "STC01 has no status category"),
    (ca277(("C1", "A2:20:PR")).replace(b"SE*", b"XX*"), "the file has no SE segment"),
    (ca277(("", "A2:20:PR")), "has no TRN02 claim number"),
    (b"HELLO", "does not start with an ISA"),
    ("ISA*é".encode(), "outside the X12 character set"),
])
def test_a_malformed_277ca_is_refused_with_its_position_and_nothing_is_recorded(sent, billing_user, content, message):
    with pytest.raises(ChartdeskError, match=message):
        do_import_277ca(content, acting_user=billing_user)
    assert ClaimStatusReport.objects.count() == 0
    assert {c.status for c in sent} == {ClaimStatus.SUBMITTED}


@pytest.mark.django_db
def test_the_cli_imports_a_277ca_and_says_what_it_matched(sent, billing_user, tmp_path):
    path = tmp_path / "ack.277"
    path.write_bytes(ca277((sent[1].claim_number, "A6:187:PR")))
    out = StringIO()
    call_command("billing", "--as", billing_user.username, "import-277ca", str(path), stdout=out)
    assert "0 claims accepted, 1 rejected, 0 pending." in out.getvalue()
    assert f"{sent[1].claim_number} rejected: Acknowledgement: rejected for missing information; date(s) of " \
           "service (payer)" in out.getvalue()
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("billing", "--as", billing_user.username, "import-277ca", str(tmp_path / "none.277"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["coder", "registrar", "roi", "him_manager"])
def test_other_roles_cannot_import_or_see_the_rejections(role, sent, client_for):
    user = factories.make_user(role, username=f"not-billing-{role}")
    with pytest.raises(PermissionRefused):
        do_import_277ca(ca277((sent[0].claim_number, "A3:21")), acting_user=user)
    assert client_for(user).get("/billing/rejections/").status_code == 403
    assert ClaimStatusReport.objects.count() == 0
