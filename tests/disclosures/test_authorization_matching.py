"""An authorization is checked against the request it is attached to: the recipient, the purpose, the
record types and dates released, and the patient. A mismatch is never attached or released, is named
element by element, and is audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.disclosures.matching import names_match
from chartdesk.disclosures.models import Authorization, Disclosure, ReleasePacket, ReleaseRequest, RequestStatus
from tests.support import factories

ACME = {"recipient": "Acme Life Underwriters", "purpose": "Life insurance underwriting", "purposes": ["insurance"]}


def log(client, patient, **fields):
    form = {"patient_mrn": patient.mrn, "received_on": timezone.localdate().isoformat(), "delivery_format": "pdf",
            "requester_address": "9 Court Street, Springfield", **fields}
    assert client.post("/disclosures/requests/new/", form).status_code == 302
    request = ReleaseRequest.objects.latest("id")
    client.get(f"/disclosures/requests/{request.pk}/")  # shows (and so clears) the "Logged" message
    return request, f"/disclosures/requests/{request.pk}/"


def attorney_request(client, patient, **changes):
    return log(client, patient, **{"requester_type": "attorney", "requester_name": "Dewey & Cheatham LLP",
                                   "purpose": "legal", "document_types": ["18842-5"], **changes})


def attach_offered(page: str, authorization: Authorization) -> bool:
    return re.search(rf'name="authorization" value="{authorization.pk}"', page) is not None


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_an_insurers_authorization_does_not_match_an_attorneys_request_and_is_not_offered(
        chart, roi, client_for, authorization_for):
    client = client_for(roi)
    acme = authorization_for(chart["patient"], **ACME)
    request, url = attorney_request(client, chart["patient"])

    page = client.get(url).content.decode()

    assert "Does not match" in page
    assert ("Recipient: the authorization names Acme Life Underwriters, not the requester Dewey &amp; Cheatham LLP."
            in page)
    assert "Purpose: the authorization covers insurance or disability claim, not legal proceedings." in page
    assert not attach_offered(page, acme)


def test_attaching_a_mismatched_authorization_anyway_is_refused_named_and_audited(
        chart, roi, client_for, authorization_for):
    client = client_for(roi)
    acme = authorization_for(chart["patient"], **ACME)
    request, url = attorney_request(client, chart["patient"])

    response = client.post(f"{url}attach/", {"authorization": acme.pk}, follow=True)

    shown = " ".join(messages_of(response))
    assert shown.startswith("This authorization does not cover this request: Recipient:")
    assert "Purpose: the authorization covers insurance or disability claim, not legal proceedings." in shown
    request.refresh_from_db()
    assert request.authorization is None
    event = AuditEvent.objects.filter(action="access_denied", object_type="release_request").get()
    assert event.detail["why"] == "authorization does not match the request"
    assert event.detail["authorization_id"] == acme.pk
    assert [problem.split(":")[0] for problem in event.detail["problems"]] == ["Recipient", "Purpose"]


def test_an_authorization_attached_before_matching_existed_blocks_the_release_naming_each_element(
        chart, roi, client_for, authorization_for):
    client = client_for(roi)
    matching = authorization_for(chart["patient"], recipient="Dewey & Cheatham", purposes=["legal"])
    request, url = attorney_request(client, chart["patient"])
    client.post(f"{url}attach/", {"authorization": matching.pk})
    client.post(f"{url}process/")
    client.post(f"{url}quality-check/")
    client.get(url)
    # A request whose authorization was attached before this check existed (the data of an older release).
    acme = authorization_for(chart["patient"], **ACME)
    ReleaseRequest.objects.filter(pk=request.pk).update(authorization=acme)

    response = client.post(f"{url}release/", follow=True)

    shown = messages_of(response)
    assert [message.split(":")[0] for message in shown] == ["Recipient", "Purpose"]
    assert "Release is blocked" in response.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.QUALITY_CHECK
    assert not ReleasePacket.objects.exists() and not Disclosure.objects.exists()
    blocked = AuditEvent.objects.filter(action="access_denied", detail__why="release blocked").get()
    assert blocked.detail["problems"] == shown


def test_a_matching_authorization_is_offered_with_names_compared_as_a_person_would(
        chart, roi, client_for, authorization_for):
    client = client_for(roi)
    harbor = authorization_for(chart["patient"], recipient="Harbor Life Insurance Co.")
    acme = authorization_for(chart["patient"], **ACME)
    request, url = log(client, chart["patient"], requester_type="attorney",
                       requester_name="HARBOR LIFE INSURANCE COMPANY", purpose="insurance",
                       document_types=["18842-5"])

    page = client.get(url).content.decode()
    assert attach_offered(page, harbor) and not attach_offered(page, acme)

    client.post(f"{url}attach/", {"authorization": harbor.pk})
    client.post(f"{url}process/")
    client.post(f"{url}quality-check/")
    client.post(f"{url}release/")
    request.refresh_from_db()
    assert request.status == RequestStatus.RELEASED
    assert Disclosure.objects.get(request=request).document_ids == [chart["summary"].pk]


def test_record_types_and_dates_are_compared_with_what_the_release_holds(chart, roi, client_for, authorization_for):
    client = client_for(roi)
    today = timezone.localdate()
    summaries_only = authorization_for(chart["patient"], recipient="Harbor Life", document_types=["18842-5"])
    last_year = authorization_for(chart["patient"], recipient="Harbor Life",
                                  records_from=today - timedelta(days=500), records_to=today - timedelta(days=100))
    both = authorization_for(chart["patient"], recipient="Harbor Life", document_types=["18842-5", "11502-2"],
                             records_from=today - timedelta(days=60))
    request, url = log(client, chart["patient"], requester_type="attorney", requester_name="Harbor Life",
                       purpose="insurance", document_types=["18842-5", "11502-2"])

    page = client.get(url).content.decode()

    assert ("Record types: the authorization covers Discharge summary; the release holds Laboratory report."
            in page)
    assert (f"Dates: the authorization covers records from {today - timedelta(days=500):%Y-%m-%d} to "
            f"{today - timedelta(days=100):%Y-%m-%d}; the release holds records of "
            f"{today - timedelta(days=20):%Y-%m-%d}, {today - timedelta(days=19):%Y-%m-%d}." in page)
    assert not attach_offered(page, summaries_only) and not attach_offered(page, last_year)
    assert attach_offered(page, both)


def test_an_authorization_of_another_patient_is_refused_on_the_desk(chart, roi, client_for, authorization_for):
    client = client_for(roi)
    other = factories.make_patient("Jon", "Other")
    theirs = authorization_for(other, recipient="Harbor Life")
    request, url = log(client, chart["patient"], requester_type="attorney", requester_name="Harbor Life",
                       purpose="insurance", document_types=["18842-5"])
    assert not attach_offered(client.get(url).content.decode(), theirs)
    response = client.post(f"{url}attach/", {"authorization": theirs.pk}, follow=True)
    assert messages_of(response) == ["That authorization belongs to another patient."]
    request.refresh_from_db()
    assert request.authorization is None


def test_an_authorization_without_coded_purposes_cannot_be_shown_to_cover_the_request(
        chart, roi, client_for, authorization_for):
    client = client_for(roi)
    uncoded = authorization_for(chart["patient"], recipient="Harbor Life", purposes=[])
    _, url = log(client, chart["patient"], requester_type="attorney", requester_name="Harbor Life",
                 purpose="insurance", document_types=["18842-5"])
    page = client.get(url).content.decode()
    assert "Purpose: the authorization&#x27;s purposes are not recorded as choices from the list" in page
    assert not attach_offered(page, uncoded)


def test_the_authorization_form_records_the_scope_and_refuses_reversed_dates(chart, roi, client_for):
    client = client_for(roi)
    request, url = log(client, chart["patient"], requester_type="attorney", requester_name="Harbor Life",
                       purpose="insurance", document_types=["18842-5"])
    today = timezone.localdate()
    form = {"information_described": "Discharge summaries", "discloser": "Chartdesk General",
            "recipient": "Harbor Life Insurance Co.", "purpose": "Life insurance", "purposes": ["insurance"],
            "document_types": ["18842-5"], "records_from": (today - timedelta(days=90)).isoformat(),
            "records_to": today.isoformat(), "expires_on": "2099-01-01", "signature_present": "on",
            "signed_on": today.isoformat(), "states_right_to_revoke": "on", "states_conditioning": "on",
            "states_redisclosure": "on"}
    new = f"/disclosures/patient/{chart['patient'].pk}/authorizations/new/?request={request.pk}"

    refused = client.post(new, {**form, "records_from": today.isoformat(),
                                "records_to": (today - timedelta(days=1)).isoformat()})
    assert refused.status_code == 400
    assert "is after the last" in refused.content.decode()
    assert not Authorization.objects.exists()

    assert client.post(new, form).status_code == 302
    request.refresh_from_db()
    authorization = request.authorization
    assert (authorization.purposes, authorization.document_types) == (["insurance"], ["18842-5"])
    assert authorization.records_from == today - timedelta(days=90)


def test_an_authorization_recorded_for_a_request_it_does_not_cover_is_kept_but_not_attached(
        chart, roi, client_for):
    client = client_for(roi)
    request, url = attorney_request(client, chart["patient"])
    today = timezone.localdate()
    response = client.post(
        f"/disclosures/patient/{chart['patient'].pk}/authorizations/new/?request={request.pk}",
        {"information_described": "All records", "discloser": "Chartdesk General",
         "recipient": "Acme Life Underwriters", "purpose": "Underwriting", "purposes": ["insurance"],
         "expires_on": "2099-01-01", "signature_present": "on",
         "signed_on": today.isoformat(), "states_right_to_revoke": "on", "states_conditioning": "on",
         "states_redisclosure": "on"}, follow=True)
    assert "Authorization recorded." in messages_of(response)
    assert any(message.startswith("This authorization does not cover this request") for message in
               messages_of(response))
    request.refresh_from_db()
    assert request.authorization is None and Authorization.objects.count() == 1


@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "provider", "privacy_officer", "administrator"])
def test_other_roles_cannot_attach_an_authorization(role, chart, roi, users, client_for, authorization_for):
    harbor = authorization_for(chart["patient"], recipient="Harbor Life")
    request, url = log(client_for(roi), chart["patient"], requester_type="attorney", requester_name="Harbor Life",
                       purpose="insurance", document_types=["18842-5"])
    response = client_for(users[role]).post(f"{url}attach/", {"authorization": harbor.pk})
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.authorization is None


@pytest.mark.parametrize(("named", "requester", "same"), [
    ("Harbor Life Insurance Co.", "HARBOR LIFE INSURANCE COMPANY", True),
    ("Smith & Jones, LLP", "Smith and Jones", True),
    ("Harbor Life Insurance Co.", "Harbor Life", True),
    ("Dr Lee, Lakeside Clinic", "Lakeside Clinic", True),
    ("Müller Rechtsanwälte", "Muller Rechtsanwalte", True),
    ("Acme Life Underwriters", "Dewey & Cheatham LLP", False),
    ("Life Insurance Co.", "Harbor Life Insurance", False),
    ("Smith", "Smith & Jones", False),
    ("", "Harbor Life", False),
])
def test_recipient_names_are_compared_after_normalising(named, requester, same):
    assert names_match(named, requester) is same


def test_the_database_still_refuses_to_delete_an_authorization_after_the_scope_columns(chart, authorization_for):
    from django.db import DatabaseError, connection, transaction

    authorization = authorization_for(chart["patient"])
    with pytest.raises(DatabaseError, match="refused"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM disclosures_authorization WHERE id = %s", [authorization.pk])
    assert Authorization.objects.filter(pk=authorization.pk).exists()


def test_a_mismatched_authorization_is_never_called_valid_on_the_request_page(
        chart, roi, client_for, authorization_for):
    client = client_for(roi)
    authorization_for(chart["patient"], **ACME)
    _, url = attorney_request(client, chart["patient"])
    page = client.get(url).content.decode()
    assert ">Valid<" not in page and "valid today" not in page
    assert "Complete" in page and "Does not match" in page


def test_processing_a_request_whose_authorization_does_not_cover_it_waits_naming_the_mismatch(
        chart, roi, client_for, authorization_for):
    client = client_for(roi)
    request, url = attorney_request(client, chart["patient"])
    ReleaseRequest.objects.filter(pk=request.pk).update(authorization=authorization_for(chart["patient"], **ACME))
    client.post(f"{url}process/")
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_AUTHORIZATION
    assert request.status_note.startswith("Recipient: the authorization names Acme Life Underwriters")
    assert "Purpose: the authorization covers" in request.status_note
