"""Minimum necessary and sensitive records: why each document is in or out, and the Part 2 notice."""

from __future__ import annotations

import pytest

from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.disclosures.actions import do_label_document, do_log_request, do_remove_label, do_start_processing
from chartdesk.disclosures.models import Disclosure, SensitiveCategory
from chartdesk.disclosures.selection import PART2_NOTICE, decide_documents
from tests.disclosures.helpers import PATIENT_ACCESS, packet_text, release


def decisions_by_title(request):
    return {decision.document.title: decision for decision in decide_documents(request).decisions}


def test_a_labelled_document_is_left_out_unless_the_authorization_names_its_category(chart, roi, authorization_for):
    do_label_document(chart["lab"], category=SensitiveCategory.HIV_STI, acting_user=roi)
    request = do_log_request(chart["patient"], requester_type="attorney", requester_name="Harbor Life",
                             purpose="insurance", acting_user=roi)
    request.authorization = authorization_for(chart["patient"])
    decision = decisions_by_title(request)["Basic metabolic panel"]
    assert decision.included is False
    assert decision.reasons[-1] == (
        "HIV and sexually transmitted infections: released only when the authorization names this category.")


def test_the_category_is_released_when_the_authorization_names_it(chart, roi, authorization_for):
    do_label_document(chart["lab"], category=SensitiveCategory.HIV_STI, acting_user=roi)
    request = do_log_request(chart["patient"], requester_type="attorney", requester_name="Harbor Life",
                             purpose="insurance", acting_user=roi)
    request.authorization = authorization_for(chart["patient"], sensitive_categories=["hiv_sti"])
    decision = decisions_by_title(request)["Basic metabolic panel"]
    assert decision.included is True
    assert "named by the authorization" in decision.reasons[-1]


def test_psychotherapy_notes_are_not_part_of_the_patients_own_access(chart, roi):
    do_label_document(chart["old_note"], category=SensitiveCategory.PSYCHOTHERAPY_NOTES, acting_user=roi)
    do_label_document(chart["lab"], category=SensitiveCategory.GENETIC, acting_user=roi)
    request = do_log_request(chart["patient"], acting_user=roi, **PATIENT_ACCESS)
    decisions = decisions_by_title(request)
    assert decisions["Clinic visit"].included is False
    assert "not part of the right of access" in decisions["Clinic visit"].reasons[-1]
    assert decisions["Basic metabolic panel"].included is True
    assert decisions["Basic metabolic panel"].reasons[-1] == "Genetic information: the patient's own record."


def test_documents_outside_the_requested_dates_and_types_say_so(chart, roi):
    request = do_log_request(chart["patient"], requester_type="provider", requester_name="Dr Lee",
                             purpose="treatment", document_types=["18842-5"], acting_user=roi)
    decisions = decisions_by_title(request)
    assert decisions["Discharge summary"].included is True
    assert decisions["Basic metabolic panel"].reasons == ["Not a requested document type (Laboratory report)."]


def test_minimum_necessary_refuses_an_unbounded_payment_request(chart, roi):
    request = do_log_request(chart["patient"], requester_type="payer", requester_name="Acme Health Plan",
                             purpose="payment", acting_user=roi)
    selection = decide_documents(request)
    assert selection.problems == [
        "Minimum necessary applies to payment: limit the request by dates, document types or encounters to what "
        "the purpose needs before releasing."]
    do_start_processing(request, acting_user=roi)
    from chartdesk.disclosures.actions import do_send_to_quality_check

    with pytest.raises(ChartdeskError, match="Minimum necessary"):
        do_send_to_quality_check(request, acting_user=roi)


def test_a_part2_release_carries_the_redisclosure_notice(chart, roi, authorization_for):
    do_label_document(chart["summary"], category=SensitiveCategory.SUBSTANCE_USE, acting_user=roi)
    packet = release(chart["patient"], roi, requester_type="attorney", requester_name="Harbor Life",
                     purpose="insurance", document_types=["18842-5"],
                     authorization=authorization_for(chart["patient"], sensitive_categories=["part2"]))
    text = " ".join(packet_text(packet).split())
    assert packet.part2_notice is True
    assert "Notice to accompany disclosure (42 CFR 2.32)" in text
    assert " ".join(PART2_NOTICE.split()[:20]) in text
    assert Disclosure.objects.get(request=packet.request).part2_notice is True


def test_a_release_without_part2_records_carries_no_notice(chart, roi):
    packet = release(chart["patient"], roi, **PATIENT_ACCESS)
    assert packet.part2_notice is False
    assert "42 CFR 2.32" not in packet_text(packet)


def test_a_removed_label_no_longer_holds_the_document_back(chart, roi, authorization_for):
    do_label_document(chart["lab"], category=SensitiveCategory.GENETIC, acting_user=roi)
    do_remove_label(chart["lab"], category=SensitiveCategory.GENETIC, acting_user=roi)
    request = do_log_request(chart["patient"], requester_type="attorney", requester_name="Harbor Life",
                             purpose="insurance", acting_user=roi)
    request.authorization = authorization_for(chart["patient"])
    assert decisions_by_title(request)["Basic metabolic panel"].included is True


def test_a_coder_cannot_label_documents(chart, users):
    with pytest.raises(PermissionRefused):
        do_label_document(chart["lab"], category=SensitiveCategory.GENETIC, acting_user=users["coder"])
