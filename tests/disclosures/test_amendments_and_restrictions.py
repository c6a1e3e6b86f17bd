"""Amendments (accept and deny paths) and restrictions (self-pay, confidential communications)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chartdesk.charts.models import Addendum
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.disclosures.amendments import (
    do_accept_amendment,
    do_decide_restriction,
    do_deny_amendment,
    do_extend_amendment,
    do_file_disagreement,
    do_file_rebuttal,
    do_request_amendment,
    do_request_restriction,
    do_start_amendment_review,
)
from chartdesk.disclosures.models import AmendmentStatus, RestrictionStatus
from chartdesk.disclosures.restrictions import confidential_contact, health_plan_disclosure_blocked
from chartdesk.disclosures.selection import decide_documents
from tests.disclosures.conftest import write_signed_note
from tests.disclosures.helpers import PATIENT_ACCESS, packet_text, release
from tests.support import factories


def amendment_of(chart, privacy, **changes):
    fields = {"requested_change": "I stopped smoking in 2019; the note says I smoke.",
              "patient_reason": "The history is wrong."}
    fields.update(changes)
    return do_request_amendment(chart["summary"], acting_user=privacy, **fields)


def test_an_amendment_request_is_due_in_sixty_days_and_extends_once(chart, privacy):
    received = timezone.localdate() - timedelta(days=10)
    amendment = amendment_of(chart, privacy, received_on=received)
    assert amendment.due_on == received + timedelta(days=60)
    amendment = do_extend_amendment(amendment, notice="The author is on leave until next month.", acting_user=privacy)
    assert amendment.due_on == received + timedelta(days=90)


def test_an_accepted_amendment_is_appended_and_the_named_parties_are_notified(chart, privacy):
    amendment = do_start_amendment_review(amendment_of(chart, privacy), acting_user=privacy)
    amendment = do_accept_amendment(
        amendment, amendment_text="Former smoker, quit 2019.", acting_user=privacy,
        notify=[("Dr Lee, Lakeside Clinic", "letter"), ("Acme Health Plan", "fax")],
    )
    assert amendment.status == AmendmentStatus.ACCEPTED
    addendum = Addendum.objects.get(pk=amendment.addendum_id)
    assert addendum.document_id == chart["summary"].pk
    assert "Former smoker, quit 2019." in addendum.text
    assert addendum.signed_at is None  # the privacy officer is no provider; the addendum waits for a signature
    assert sorted(amendment.notifications.values_list("party", "method")) == [
        ("Acme Health Plan", "fax"), ("Dr Lee, Lakeside Clinic", "letter")]


def test_the_author_may_accept_and_the_addendum_is_signed(chart, privacy, author):
    amendment = do_accept_amendment(amendment_of(chart, privacy), amendment_text="Former smoker.", notify=[],
                                    acting_user=author)
    assert Addendum.objects.get(pk=amendment.addendum_id).signed_at is not None


def test_a_coder_may_not_decide_amendments(chart, privacy, users):
    with pytest.raises(PermissionRefused):
        do_deny_amendment(amendment_of(chart, privacy), basis="accurate", explanation="x", acting_user=users["coder"])


def test_a_denial_needs_one_of_the_four_grounds(chart, privacy):
    with pytest.raises(ChartdeskError) as refused:
        do_deny_amendment(amendment_of(chart, privacy), basis="we_disagree", explanation="No", acting_user=privacy)
    assert refused.value.field == "basis"


def test_the_denial_disagreement_and_rebuttal_travel_with_later_releases(chart, privacy, roi):
    amendment = do_deny_amendment(amendment_of(chart, privacy), basis="accurate",
                                  explanation="The history was taken from you on admission.", acting_user=privacy)
    with pytest.raises(ChartdeskError, match="none has been filed"):
        do_file_rebuttal(amendment, rebuttal="Too early", acting_user=privacy)
    amendment = do_file_disagreement(amendment, statement="I have not smoked since 2019.", acting_user=privacy)
    amendment = do_file_rebuttal(amendment, rebuttal="The patient said so on admission.", acting_user=privacy)
    assert amendment.status == AmendmentStatus.DENIED

    packet = release(chart["patient"], roi, **PATIENT_ACCESS)
    text = " ".join(packet_text(packet).split())
    assert "Patient's statement of disagreement: I have not smoked since 2019." in text
    assert "Rebuttal: The patient said so on admission." in text
    assert "Denied (Accurate and complete)" in text


def test_a_disagreement_answers_only_a_denial(chart, privacy):
    with pytest.raises(ChartdeskError, match="not denied"):
        do_file_disagreement(amendment_of(chart, privacy), statement="No", acting_user=privacy)


def test_a_decided_amendment_cannot_be_decided_again(chart, privacy):
    amendment = do_deny_amendment(amendment_of(chart, privacy), basis="accurate", explanation="x", acting_user=privacy)
    with pytest.raises(ChartdeskError, match="is denied"):
        do_accept_amendment(amendment, amendment_text="y", notify=[], acting_user=privacy)


# ----------------------------------------------------------------------------- restrictions


@pytest.fixture
def self_paid(chart, privacy, author):
    encounter = factories.make_encounter(chart["patient"], admit_at=timezone.now() - timedelta(days=30))
    write_signed_note(chart["patient"], author, title="Cash lab visit", text="HbA1c 5.4%", encounter=encounter,
                      document_type="11502-2", service_date=timezone.localdate() - timedelta(days=30))
    restriction = do_request_restriction(chart["patient"], kind="self_pay", encounter=encounter,
                                         description="Paid cash for the lab visit", acting_user=privacy)
    return encounter, restriction


def test_a_self_pay_restriction_must_be_agreed_once_paid(self_paid, privacy):
    encounter, restriction = self_paid
    with pytest.raises(ChartdeskError, match="cannot be refused"):
        do_decide_restriction(restriction, agree=False, acting_user=privacy)
    with pytest.raises(ChartdeskError, match="paid in full"):
        do_decide_restriction(restriction, agree=True, acting_user=privacy)
    assert health_plan_disclosure_blocked(encounter) is False
    restriction = do_decide_restriction(restriction, agree=True, paid_in_full=True, acting_user=privacy)
    assert restriction.status == RestrictionStatus.AGREED
    assert health_plan_disclosure_blocked(encounter) is True


def test_a_release_to_the_health_plan_leaves_out_the_restricted_encounter(chart, self_paid, privacy, roi):
    encounter, restriction = self_paid
    do_decide_restriction(restriction, agree=True, paid_in_full=True, acting_user=privacy)
    from chartdesk.disclosures.actions import do_log_request

    to_plan = do_log_request(chart["patient"], requester_type="payer", requester_name="Acme Health Plan",
                             purpose="payment", document_types=["11502-2", "18842-5"], acting_user=roi)
    decisions = {d.document.title: d for d in decide_documents(to_plan).decisions}
    assert decisions["Cash lab visit"].included is False
    assert "restricted disclosure to the health plan" in decisions["Cash lab visit"].reasons[0]
    assert decisions["Discharge summary"].included is True
    assert decisions["Basic metabolic panel"].included is True

    to_patient = do_log_request(chart["patient"], acting_user=roi, **PATIENT_ACCESS)
    assert {d.document.title: d.included for d in decide_documents(to_patient).decisions}["Cash lab visit"]


def test_a_confidential_communication_needs_the_other_contact(chart, privacy):
    with pytest.raises(ChartdeskError) as refused:
        do_request_restriction(chart["patient"], kind="confidential", description="Mail to work",
                               acting_user=privacy)
    assert refused.value.field == "alternative_contact"
    request = do_request_restriction(chart["patient"], kind="confidential", description="Mail to work",
                                     alternative_contact="PO Box 12, Springfield", acting_user=privacy)
    assert confidential_contact(chart["patient"]) == ""
    do_decide_restriction(request, agree=True, acting_user=privacy)
    assert confidential_contact(chart["patient"]) == "PO Box 12, Springfield"


def test_the_roi_specialist_does_not_decide_restrictions(self_paid, roi):
    _, restriction = self_paid
    with pytest.raises(PermissionRefused):
        do_decide_restriction(restriction, agree=True, acting_user=roi)


def test_a_patients_packet_is_addressed_to_the_confidential_contact(chart, privacy, roi):
    agreed = do_request_restriction(chart["patient"], kind="confidential", description="Mail to my PO box",
                                    alternative_contact="PO Box 12, Springfield", acting_user=privacy)
    do_decide_restriction(agreed, agree=True, acting_user=privacy)
    from tests.disclosures.helpers import page_texts

    packet = release(chart["patient"], roi, **PATIENT_ACCESS, requester_address="1 Home Street, Springfield")
    cover = page_texts(packet)[0]
    assert "PO Box 12, Springfield" in cover
    assert "1 Home Street" not in cover
