"""Authorizations: each element of 164.508(c) named when missing; expiry and revocation block releases."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.disclosures import authorizations as rules
from chartdesk.disclosures.actions import (
    ReleaseBlocked,
    do_attach_authorization,
    do_log_request,
    do_release_request,
    do_revoke_authorization,
    do_send_to_quality_check,
    do_start_processing,
)
from chartdesk.disclosures.models import Disclosure, RequestStatus
from tests.disclosures.conftest import valid_elements

TODAY = date(2026, 6, 1)


def form(**changes):
    elements = valid_elements(expires_on=date(2026, 12, 31), signed_on=date(2026, 5, 20))
    elements.update({"signed_by_representative": False, "representative_authority": "", "expiration_event": "",
                     "revoked_on": None})
    elements.update(changes)
    return SimpleNamespace(**elements)


def test_a_complete_authorization_has_no_problems():
    assert rules.authorization_problems(form(), TODAY) == []


@pytest.mark.parametrize(("changes", "message"), [
    ({"information_described": ""}, rules.MISSING_INFORMATION),
    ({"discloser": " "}, rules.MISSING_DISCLOSER),
    ({"recipient": ""}, rules.MISSING_RECIPIENT),
    ({"purpose": ""}, rules.MISSING_PURPOSE),
    ({"expires_on": None, "expiration_event": ""}, rules.MISSING_EXPIRATION),
    ({"signature_present": False}, rules.MISSING_SIGNATURE),
    ({"signed_on": None}, rules.MISSING_SIGNED_DATE),
    ({"signed_by_representative": True, "representative_authority": ""}, rules.MISSING_AUTHORITY),
    ({"states_right_to_revoke": False}, rules.MISSING_REVOKE_STATEMENT),
    ({"states_conditioning": False}, rules.MISSING_CONDITIONING_STATEMENT),
    ({"states_redisclosure": False}, rules.MISSING_REDISCLOSURE_STATEMENT),
])
def test_each_missing_element_is_named(changes, message):
    assert rules.authorization_problems(form(**changes), TODAY) == [message]


def test_an_expiration_event_stands_in_for_a_date():
    assert rules.authorization_problems(form(expires_on=None, expiration_event="End of the claim"), TODAY) == []


def test_a_representative_with_their_authority_described_may_sign():
    assert rules.authorization_problems(
        form(signed_by_representative=True, representative_authority="Court-appointed guardian"), TODAY) == []


def test_an_expired_authorization_says_when_it_expired():
    assert rules.authorization_problems(form(expires_on=date(2026, 5, 31)), TODAY) == ["It expired on 2026-05-31."]


def test_an_authorization_is_still_valid_on_its_expiry_date():
    assert rules.authorization_problems(form(expires_on=TODAY), TODAY) == []


def test_a_revoked_authorization_says_when_it_was_revoked():
    assert rules.authorization_problems(form(revoked_on=date(2026, 5, 25)), TODAY) == [
        "The patient revoked it on 2026-05-25."]


def test_every_problem_is_listed_not_only_the_first():
    problems = rules.authorization_problems(form(recipient="", states_redisclosure=False), TODAY)
    assert problems == [rules.MISSING_RECIPIENT, rules.MISSING_REDISCLOSURE_STATEMENT]


# ----------------------------------------------------------------------------- in the workflow


def insurer_request(patient, roi, **changes):
    fields = {"requester_type": "attorney", "requester_name": "Harbor Life Insurance Co.", "purpose": "insurance",
              "document_types": ["18842-5"]}
    fields.update(changes)
    return do_log_request(patient, acting_user=roi, **fields)


def test_a_treatment_request_goes_to_processing_without_an_authorization(chart, roi):
    request = do_log_request(chart["patient"], requester_type="provider", requester_name="Dr Lee, Lakeside Clinic",
                             purpose="treatment", acting_user=roi)
    request = do_start_processing(request, acting_user=roi)
    assert request.status == RequestStatus.IN_PROCESSING
    assert request.authorization is None


def test_a_request_needing_an_authorization_waits_for_one_and_says_why(chart, roi):
    request = do_start_processing(insurer_request(chart["patient"], roi), acting_user=roi)
    assert request.status == RequestStatus.AWAITING_AUTHORIZATION
    assert request.status_note == rules.NO_AUTHORIZATION


def test_an_incomplete_authorization_keeps_the_request_waiting_naming_the_gap(chart, roi, authorization_for):
    request = insurer_request(chart["patient"], roi)
    do_attach_authorization(request, authorization_for(chart["patient"], states_conditioning=False), acting_user=roi)
    request = do_start_processing(request, acting_user=roi)
    assert request.status == RequestStatus.AWAITING_AUTHORIZATION
    assert request.status_note == rules.MISSING_CONDITIONING_STATEMENT


def test_an_authorization_of_another_patient_cannot_be_attached(chart, roi, authorization_for):
    from tests.support import factories

    other = factories.make_patient("Jon", "Other", birth_date=date(1970, 1, 1))
    with pytest.raises(ChartdeskError, match="another patient"):
        do_attach_authorization(insurer_request(chart["patient"], roi), authorization_for(other), acting_user=roi)


def _ready_for_release(chart, roi, authorization):
    request = insurer_request(chart["patient"], roi)
    do_attach_authorization(request, authorization, acting_user=roi)
    do_start_processing(request, acting_user=roi)
    return do_send_to_quality_check(request, acting_user=roi)


def test_a_revoked_authorization_blocks_the_release_says_why_and_the_block_is_audited(chart, roi, authorization_for):
    authorization = authorization_for(chart["patient"])
    request = _ready_for_release(chart, roi, authorization)
    today = timezone.localdate()
    do_revoke_authorization(authorization, revoked_on=today, note="Letter from the patient", acting_user=roi)

    with pytest.raises(ReleaseBlocked) as blocked:
        do_release_request(request, acting_user=roi)

    assert blocked.value.problems == [f"The patient revoked it on {today:%Y-%m-%d}."]
    request.refresh_from_db()
    assert request.status == RequestStatus.QUALITY_CHECK
    assert not Disclosure.objects.filter(request=request).exists()
    event = AuditEvent.objects.filter(action="access_denied", object_type="release_request").last()
    assert event.outcome == "denied"
    assert event.detail["problems"] == blocked.value.problems


def test_an_authorization_that_expired_before_release_blocks_it(chart, roi, authorization_for):
    authorization = authorization_for(chart["patient"], expires_on=timezone.localdate() + timedelta(days=2))
    request = _ready_for_release(chart, roi, authorization)
    later = timezone.localdate() + timedelta(days=3)
    with pytest.raises(ReleaseBlocked, match="It expired on"):
        do_release_request(request, acting_user=roi, today=later)


def test_a_valid_authorization_lets_the_release_go_and_it_is_not_accountable(chart, roi, authorization_for):
    request = _ready_for_release(chart, roi, authorization_for(chart["patient"]))
    packet = do_release_request(request, acting_user=roi)
    disclosure = Disclosure.objects.get(request=request)
    assert packet.page_count >= 3
    assert (disclosure.legal_basis, disclosure.accountable) == ("authorization", False)
    assert disclosure.document_ids == [chart["summary"].pk]


def test_revocation_cannot_predate_the_signature(chart, roi, authorization_for):
    authorization = authorization_for(chart["patient"])
    with pytest.raises(ChartdeskError, match="before the authorization was signed"):
        do_revoke_authorization(authorization, revoked_on=authorization.signed_on - timedelta(days=1), note="",
                                acting_user=roi)


def test_a_coder_cannot_record_an_authorization(chart, users):
    from chartdesk.disclosures.actions import do_record_authorization

    with pytest.raises(PermissionRefused):
        do_record_authorization(chart["patient"], acting_user=users["coder"], **valid_elements())
