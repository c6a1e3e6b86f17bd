"""Claim status (276/277, 005010X212): the guide's 277 examples read as published; a 276 asks about the
claims sent more than N days ago that no 835 has answered, and an independent parser reads it back; the
payer's 277 is stored on each claim with its statuses in plain English and shown on the claim and the
claim status list; a malformed file is refused with its position and changes nothing; only billing staff
may ask or import."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.billing.actions import do_create_charges, do_create_claim
from chartdesk.billing.export import do_export_837
from chartdesk.billing.inquiries.claim_status import do_export_276, do_import_277
from chartdesk.billing.inquiries.models import ClaimStatusCheck, ClaimStatusResult, InquiryFile
from chartdesk.billing.models import Claim, ClaimStatus
from chartdesk.billing.x12.parser277status import parse_277_status
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from tests.billing.conftest import coded, visit_on
from tests.billing.x12_inquiry_reader import read_x12, segments

PUBLIC = Path(__file__).resolve().parents[1] / "data" / "x12"


def answer_277(*claims: tuple[str, str, str], paid: str = "") -> bytes:
    """A payer's 277 answering our 276: (trace number, our claim number, STC01) each."""
    lines = ["ST*277*0001*005010X212", "BHT*0010*08*ANSWER1*20261207*1200*DG", "HL*1**20*1",
             "NM1*PR*2*ACME HEALTH PLAN*****PI*ACME1", "HL*2*1*21*1", "NM1*41*2*PRAIRIE FAMILY MEDICINE*****46*PFM0001",
             "HL*3*2*19*1", "NM1*1P*2*PRAIRIE FAMILY MEDICINE*****XX*1234567893"]
    for number, (trace, claim_number, status) in enumerate(claims, start=4):
        lines += [f"HL*{number}*3*22*0", "NM1*IL*1*GARCIA*MARIA****MI*XJ123456789", f"TRN*2*{trace}",
                  f"STC*{status}*20261205**165*{paid}", "REF*1K*PAYER77", f"REF*EJ*{claim_number}",
                  "DTP*472*D8*20261101"]
    lines.append(f"SE*{len(lines) + 1}*0001")
    text = ["ISA*00*          *00*          *ZZ*ACME1          *ZZ*PFM0001        *261207*1200*^*00501*000000555*0*T*:",
            "GS*HN*ACME1*PFM0001*20261207*1200*555*X*005010X212", *lines, "GE*1*555", "IEA*1*000000555"]
    return ("~\n".join(text) + "~\n").encode()


def test_the_guides_277_examples_read_as_published():
    claims = parse_277_status((PUBLIC / "277" / "claim-level-status.277").read_text()).answers
    assert [(a.trace_number, a.claim_number, a.statuses[0].category, a.statuses[0].code) for a in claims] == [
        ("ABCXYZ1", "SM123456", "P3", "317"), ("ABCXYZ2", "J0234567", "F0", "3"), ("ABCXYC3", "MA345678", "F2", "88")]
    assert (claims[2].charge, claims[2].paid, claims[2].payer_claim_number) == (Decimal("150.00"), Decimal("0.00"),
                                                                                "051681010827")
    assert [(line, s.category) for line, s in claims[2].line_statuses] == [("HC:99203", "F2")]
    assert parse_277_status((PUBLIC / "277" / "information-receiver-level-status.277").read_text()).answers == []
    for path in sorted((PUBLIC / "277").glob("*.277")):
        ours = [a.trace_number for a in parse_277_status(path.read_text()).answers]
        # The independent reader finds the same claim-level traces (2200D/E), in the same order.
        claim_loops = loops(read_x12(path)[0], ("loop_2200d", "loop_2200e"))
        assert ours == [t["reference_identification_1"] for t in segments(claim_loops, "TRN")], path.name


def loops(tree: Any, names: tuple[str, ...]) -> list[Any]:
    """The loops of these names anywhere in a transaction read by LinuxForHealth, in file order."""
    found: list[Any] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += [value] if key in names else loops(value, names)
    elif isinstance(tree, list):
        for item in tree:
            found += loops(item, names)
    return found


@pytest.fixture
def waiting(charged_visit, covered_patient, billing_user, clinician, service_day):
    """Two claims sent 40 days ago (one since paid by an 835 would not be waiting) and one sent yesterday."""
    old = do_create_claim(charged_visit, acting_user=billing_user)
    recent_visit = visit_on(covered_patient, service_day)
    do_create_charges(recent_visit, coded(clinician, service_day, procedures=(("99214", (), 1),)),
                      acting_user=billing_user)
    recent = do_create_claim(recent_visit, acting_user=billing_user)
    do_export_837(acting_user=billing_user)
    Claim.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=40))
    Claim.objects.filter(pk=recent.pk).update(submitted_at=timezone.now() - timedelta(days=1))
    old.refresh_from_db()
    recent.refresh_from_db()
    return old, recent


@pytest.mark.django_db
def test_a_276_asks_about_claims_waiting_longer_than_n_days_and_reads_back(waiting, billing_user, tmp_path):
    old, recent = waiting
    out, report = tmp_path / "status.276", StringIO()
    call_command("billing", "--as", billing_user.username, "export-276", "--older-than", "30", "--out", str(out),
                 stdout=report)
    check = ClaimStatusCheck.objects.get()
    assert check.claim == old
    assert f"Wrote 1 claim status requests to {out}" in report.getvalue() and old.claim_number in report.getvalue()
    transaction = read_x12(out)[0]
    assert [t["reference_identification_1"] for t in segments(transaction, "TRN")] == [check.trace_number]
    refs = {r["reference_identification_qualifier"]: r["reference_identification"]
            for r in segments(transaction, "REF")}
    assert refs["EJ"] == old.claim_number
    assert Decimal(str(segments(transaction, "AMT")[0]["monetary_amount"])) == old.total_charge
    assert AuditEvent.objects.filter(action="export", object_type="claim_status_inquiry",
                                     patient_id=old.patient_id).count() == 1
    # Asked once, the claim is not asked about again until another 30 days have passed.
    with pytest.raises(CommandError, match="No claim sent more than 30 days ago is still waiting"):
        call_command("billing", "--as", billing_user.username, "export-276", "--older-than", "30", "--out",
                     str(tmp_path / "again.276"), stdout=StringIO())
    assert not (tmp_path / "again.276").exists()


@pytest.mark.django_db
def test_a_277_is_stored_on_the_claim_in_plain_english_and_reported(waiting, billing_user, client_for, tmp_path):
    old, _ = waiting
    sent = do_export_276(days=30, acting_user=billing_user)
    trace = sent.inquiry.status_checks.get().trace_number
    path = tmp_path / "answer.277"
    path.write_bytes(answer_277((trace, old.claim_number, "F2:88:QC"), ("THEIRS-9", "NOT-OURS", "P1:20"), paid="0"))
    report = StringIO()
    call_command("billing", "--as", billing_user.username, "import-277", str(path), stdout=report)
    result = ClaimStatusResult.objects.get(claim=old)
    assert result.statuses == [["F2", "88", "QC", "Finalized: denial; entity not eligible for benefits for the "
                                                  "submitted dates of service (patient)"]]
    assert (result.paid_amount, result.payer_claim_number) == (Decimal("0.00"), "PAYER77")
    text = report.getvalue()
    assert "1 claim answers matched, 1 not matched" in text and "THEIRS-9: no claim of ours" in text
    old.refresh_from_db()
    assert old.status == ClaimStatus.SUBMITTED  # the 835 posts the decision; the 277 only tells
    page = client_for(billing_user).get(f"/billing/claim/{old.pk}/").content.decode()
    assert "Finalized: denial; entity not eligible for benefits" in page
    listing = client_for(billing_user).get("/billing/claim-status/").content.decode()
    assert "Finalized: denial" in listing and "not ours (THEIRS-9)" in listing and "Download 276" in listing
    again = StringIO()
    call_command("billing", "--as", billing_user.username, "import-277", str(path), stdout=again)
    assert "recorded before: nothing changed" in again.getvalue() and ClaimStatusResult.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("broken", "why"), [
    (answer_277(("T1", "C1", "F2:88")).replace(b"STC*F2:88*20261205", b"STC*F2:88*20261305"),
     "segment 14 (STC): '20261305' is not a date"),
    (answer_277(("T1", "C1", "F2:88")).replace(b"STC*F2:88", b"STC*:88"), "segment 14 (STC): STC01 has no status"),
    (answer_277(("T1", "C1", "F2:88")).replace(b"GS*HN*ACME1*PFM0001*20261207*1200*555*X*005010X212",
                                                b"GS*HN*ACME1*PFM0001*20261207*1200*555*X*005010X214"),
     "this is not a 277 claim status response"),
    (answer_277(("T1", "C1", "F2:88")).replace(b"SE*16*", b"SE*15*"), "SE01 says '15' segments, the set has 16"),
])
def test_a_malformed_277_is_refused_with_its_position_and_changes_nothing(waiting, billing_user, tmp_path, broken,
                                                                         why):
    path = tmp_path / "broken.277"
    path.write_bytes(broken)
    with pytest.raises(CommandError, match="The 277 was refused and nothing was recorded") as refused:
        call_command("billing", "--as", billing_user.username, "import-277", str(path), stdout=StringIO())
    assert why in str(refused.value)
    assert (ClaimStatusResult.objects.count(), InquiryFile.objects.filter(kind="277").count()) == (0, 0)


@pytest.mark.django_db
def test_only_billing_staff_may_ask_about_claim_status(waiting, users, client_for, billing_user):
    for role in ("coder", "front_desk", "registrar", "him_manager"):
        with pytest.raises(PermissionRefused):
            do_export_276(days=30, acting_user=users[role])
        with pytest.raises(PermissionRefused):
            do_import_277(answer_277(("T1", "C1", "F2:88")), acting_user=users[role])
        desk = client_for(users[role])
        assert desk.get("/billing/claim-status/").status_code == 403, role
        assert desk.post("/billing/claim-status/", {"days": "30"}).status_code == 403, role
    with pytest.raises(ChartdeskError, match="1 to 365 days"):
        do_export_276(days=0, acting_user=billing_user)
    assert InquiryFile.objects.count() == 0


@pytest.mark.django_db
def test_the_desk_lists_the_waiting_claims_and_writes_their_276(waiting, billing_user, client_for):
    old, recent = waiting
    desk = client_for(billing_user)
    page = desk.get("/billing/claim-status/?days=30").content.decode()
    assert old.claim_number in page and recent.claim_number not in page
    response = desk.post("/billing/claim-status/", {"days": "30"}, follow=True)
    assert "A 276 asks about 1 claims" in response.content.decode()
    assert ClaimStatusCheck.objects.get().claim == old
    assert desk.get("/billing/claim-status/?days=lots").status_code == 400
