"""`chartdesk billing import-999 FILE`: 999 acknowledgements matched to the batch (GS06) and transaction
set (ST02) we sent. The 999s here are written by pyx12 (an independent implementation of the guides)
from our own exported 837P files: accepted as sent, and rejected after a value the guide does not
allow is put in."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from chartdesk.audit.models import AuditEvent
from chartdesk.billing.acknowledgements import do_import_999
from chartdesk.billing.actions import do_create_claims
from chartdesk.billing.models import Acknowledgement, Claim, ClaimStatus, X12Batch
from chartdesk.billing.x12.parser999 import parse_999
from chartdesk.core.errors import PermissionRefused

pytestmark = pytest.mark.django_db


def chartdesk(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def pyx12_999(content_837: str) -> str:
    """The 999 pyx12 answers to an 837P with."""
    import pyx12.params
    import pyx12.x12n_document

    out = io.StringIO()
    pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(content_837), out, None)
    return out.getvalue()


@pytest.fixture
def sent(charged_visit, billing_user, tmp_path) -> X12Batch:
    do_create_claims(acting_user=billing_user)
    chartdesk("billing", "export-837", "--out", str(tmp_path / "batch.837"))
    return X12Batch.objects.get()


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="ascii")
    return path


def test_an_accepted_999_is_recorded_on_the_batch_and_leaves_the_claim_submitted(sent, tmp_path):
    path = write(tmp_path, "ack.999", pyx12_999(sent.content))
    said = chartdesk("billing", "import-999", str(path))
    assert said == (f"Batch {sent.interchange_control:09d} (group {sent.group_control}): Accepted, 1 of 1 "
                    f"transaction sets accepted.\n1 claims accepted, 0 claims rejected.\n")
    [ack] = Acknowledgement.objects.all()
    claim = Claim.objects.get()
    assert ack.batch == sent and ack.status == "A"
    assert ack.sets == [{"control": "0001", "status": "A", "status_text": "Accepted", "errors": [],
                         "claims": [claim.claim_number], "segments": []}]
    assert claim.status == ClaimStatus.SUBMITTED
    # The same file again changes nothing.
    again = chartdesk("billing", "import-999", str(path))
    assert again.startswith(f"Batch {sent.interchange_control:09d}: this 999 was recorded before, nothing changed.")
    assert Acknowledgement.objects.count() == 1


def test_a_rejected_999_rejects_the_claims_of_the_set_with_the_reason_in_plain_english(sent, tmp_path, client_for,
                                                                                       billing_user):
    claim = Claim.objects.get()
    tampered = re.sub(r"(DMG\*D8\*\d{8}\*)[FMU]~", r"\1X~", sent.content, count=1)
    answer = pyx12_999(tampered)
    assert "IK5*R" in answer
    said = chartdesk("billing", "import-999", str(write(tmp_path, "reject.999", answer)))
    position = next(n for n, seg in enumerate(sent.content.split("~\n"), start=1) if seg.startswith("DMG")) - 2
    assert said == (
        f"Batch {sent.interchange_control:09d} (group {sent.group_control}): Rejected, 0 of 1 transaction sets "
        f"accepted.\n"
        f"  ST 0001: Rejected; 5: One or more segments in error\n"
        f"    claim {claim.claim_number}, segment DMG at position {position}: IK3 8 Segment has data element errors\n"
        f"    element 3 (data element 1068): IK4 7 Invalid code value, value 'X'\n"
        f"0 claims accepted, 1 claims rejected.\n")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED
    assert AuditEvent.objects.filter(object_type="claim", object_id=str(claim.pk),
                                     detail__status="rejected").exists()
    assert AuditEvent.objects.filter(object_type="acknowledgement", detail__kind="999").count() == 1

    page = client_for(billing_user).get(reverse("billing-batch", args=[sent.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Rejected" in html and "Invalid code value" in html and claim.claim_number in html
    assert "IK4 7" in html


def test_a_malformed_999_is_refused_with_the_segment_position_and_changes_nothing(sent, tmp_path):
    answer = pyx12_999(sent.content)
    broken = answer.replace("SE*6*0001~", "SE*9*0001~")
    with pytest.raises(CommandError, match=r"The 999 was refused and nothing was recorded: segment 8 \(SE\): SE01 "
                                           r"says 9 segments, the set has 6"):
        chartdesk("billing", "import-999", str(write(tmp_path, "broken.999", broken)))
    no_ik5 = answer.replace("IK5*A~", "")
    with pytest.raises(CommandError, match=r"segment 6 \(AK9\): a transaction set has no IK5"):
        chartdesk("billing", "import-999", str(write(tmp_path, "noik5.999", no_ik5)))
    with pytest.raises(CommandError, match=r"segment 1 \(ISA\): the file does not start with an ISA"):
        chartdesk("billing", "import-999", str(write(tmp_path, "text.999", "hello")))
    assert not Acknowledgement.objects.exists()
    assert Claim.objects.get().status == ClaimStatus.SUBMITTED


def test_a_999_for_a_set_we_never_sent_is_refused_and_one_for_another_group_is_reported(sent, tmp_path):
    answer = pyx12_999(sent.content)
    with pytest.raises(CommandError, match="transaction set 0002 was not sent in batch"):
        chartdesk("billing", "import-999",
                  str(write(tmp_path, "set.999", answer.replace("AK2*837*0001*", "AK2*837*0002*"))))
    other = answer.replace(f"AK1*HC*{sent.group_control}*", "AK1*HC*987654*")
    said = chartdesk("billing", "import-999", str(write(tmp_path, "other.999", other)))
    assert said.startswith("Group 987654: no batch we sent has this control number, not recorded.")
    assert not Acknowledgement.objects.exists()


def test_only_a_billing_specialist_imports_a_999(sent, users):
    content = pyx12_999(sent.content).encode()
    for role in ("him_manager", "coder", "registrar"):
        with pytest.raises(PermissionRefused):
            do_import_999(content, acting_user=users[role])
    assert not Acknowledgement.objects.exists()


def test_the_batch_page_is_for_billing_roles_only(sent, client_for, users):
    url = reverse("billing-batch", args=[sent.pk])
    assert client_for(users["billing"]).get(url).status_code == 200
    for role in ("coder", "registrar", "him_manager"):
        assert client_for(users[role]).get(url).status_code == 403


def test_the_parser_reads_every_level_of_a_999():
    text = ("ISA*00*          *00*          *ZZ*CLEAR          *ZZ*PFM0001        *261201*1200*^*00501*000000042*0*T*:~"
            "GS*FA*CLEAR*PFM0001*20261201*1200*42*X*005010X231A1~ST*999*0001*005010X231A1~"
            "AK1*HC*17*005010X222A1~AK2*837*0001*005010X222A1~IK5*A~"
            "AK2*837*0002*005010X222A1~IK3*CLM*22*2300*8~CTX*CLM01:C1~IK4*5:1*1331*7*99~IK5*R*5~"
            "AK9*P*2*2*1~SE*11*0001~GE*1*42~IEA*1*000000042~")
    [group] = parse_999(text).groups
    assert (group.group_control, group.status, group.sets_accepted) == (17, "P", 1)
    accepted, rejected = group.sets
    assert accepted.accepted and not rejected.accepted and rejected.codes == ["5"]
    [segment] = rejected.segments
    assert (segment.segment_id, segment.position, segment.loop, segment.text) == (
        "CLM", 22, "2300", "Segment has data element errors")
    [element] = segment.elements
    assert (element.position, element.data_element, element.bad_value, element.text) == (
        "5.1", "1331", "99", "Invalid code value")
