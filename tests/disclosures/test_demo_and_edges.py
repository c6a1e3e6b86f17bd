"""Demo records, page-range parsing, and a few edges of the request workflow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from chartdesk.core.errors import ChartdeskError
from chartdesk.disclosures.access import roi_queue
from chartdesk.disclosures.actions import do_extend_request, do_label_document, do_log_request
from chartdesk.disclosures.demo import load_disclosures_demo
from chartdesk.disclosures.models import ReleaseRequest, SensitiveCategory
from chartdesk.disclosures.packet import parse_pages
from chartdesk.disclosures.selection import decide_documents
from chartdesk.patients.actions import do_set_restriction
from tests.support import factories


def test_the_demo_logs_a_request_with_a_running_clock(chart, roi, privacy):
    assert load_disclosures_demo([chart["patient"]], {"roi": roi, "privacy_officer": privacy}) == 1
    request = ReleaseRequest.objects.get()
    assert request.due_on == timezone.localdate() + timedelta(days=4)


@pytest.mark.parametrize(("spec", "pages"), [("2", {2}), ("2,4-5", {2, 4, 5}), (" 1 , 3 ", {1, 3}), ("", set())])
def test_page_ranges_are_read(spec, pages):
    assert parse_pages(spec) == pages


@pytest.mark.parametrize("spec", ["0", "5-3", "a", "2-", "1-20000"])
def test_bad_page_ranges_name_the_bad_part(spec):
    with pytest.raises(ValueError, match="'"):
        parse_pages(spec)


@given(st.text(max_size=40))
def test_page_parsing_either_reads_or_refuses_any_text(spec):
    try:
        pages = parse_pages(spec)
    except ValueError as refusal:
        assert str(refusal).startswith("'")
    else:
        assert all(page >= 1 for page in pages)


def test_electronic_delivery_needs_the_requesters_email(chart, roi):
    with pytest.raises(ChartdeskError) as refused:
        do_log_request(chart["patient"], requester_type="patient", requester_name="Maria Garcia", purpose="access",
                       delivery_format="electronic", acting_user=roi)
    assert refused.value.field == "requester_email"
    assert ReleaseRequest.objects.count() == 0


def test_a_request_received_in_the_future_is_refused(chart, roi):
    with pytest.raises(ChartdeskError) as refused:
        do_log_request(chart["patient"], requester_type="patient", requester_name="Maria Garcia", purpose="access",
                       received_on=timezone.localdate() + timedelta(days=1), acting_user=roi)
    assert refused.value.field == "received_on"


def test_a_patients_request_is_extended_once_to_sixty_days(chart, roi):
    received = timezone.localdate() - timedelta(days=20)
    request = do_log_request(chart["patient"], requester_type="patient", requester_name="Maria Garcia",
                             purpose="access", received_on=received, acting_user=roi)
    assert request.due_on == received + timedelta(days=30)
    request = do_extend_request(request, notice="Records are in off-site storage; ready by the new date.",
                                acting_user=roi)
    assert request.due_on == received + timedelta(days=60)
    with pytest.raises(ChartdeskError, match="already extended once"):
        do_extend_request(request, notice="Again", acting_user=roi)


def test_a_treatment_request_does_not_release_part2_records_without_consent(chart, roi):
    do_label_document(chart["summary"], category=SensitiveCategory.SUBSTANCE_USE, acting_user=roi)
    request = do_log_request(chart["patient"], requester_type="provider", requester_name="Dr Lee",
                             purpose="treatment", acting_user=roi)
    decision = {d.document.title: d for d in decide_documents(request).decisions}["Discharge summary"]
    assert decision.included is False


def test_a_restricted_patients_request_is_left_out_of_the_queue(chart, roi, users):
    request = do_log_request(chart["patient"], requester_type="provider", requester_name="Dr Lee",
                             purpose="treatment", acting_user=roi)
    assert [row.request for row in roi_queue(roi)] == [request]
    do_set_restriction(chart["patient"], restriction="vip", note="board member", acting_user=users["him_manager"])
    assert roi_queue(factories.make_user("roi")) == []
