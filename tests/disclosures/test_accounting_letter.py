"""The accounting of disclosures printed as a letter to the patient, and the desk's confirmation when a
disclosure is recorded."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from chartdesk.audit.models import AuditEvent
from chartdesk.disclosures.accounting import do_record_disclosure
from chartdesk.disclosures.models import AccountingRequest, Disclosure
from chartdesk.patients.models import PatientAddress
from tests.disclosures.helpers import release


def record_on_the_desk(client, patient, **changes):
    form = {"recipient_name": "County Health Department", "recipient_address": "12 Civic Plaza\nSpringfield, IL 62701",
            "description": "Positive tuberculosis culture of 2026-11-02", "purpose": "Reportable disease report",
            "legal_basis": "required_by_law", "disclosed_on": timezone.localdate().isoformat(), **changes}
    return client.post(f"/disclosures/privacy/patient/{patient.pk}/disclosure/", form, follow=True)


def shown(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_recording_a_disclosure_confirms_it_and_says_whether_the_accounting_lists_it(chart, privacy, client_for):
    client = client_for(privacy)
    today = timezone.localdate()

    listed = record_on_the_desk(client, chart["patient"])
    exempt = record_on_the_desk(client, chart["patient"], recipient_name="Lakeside Clinic", legal_basis="tpo")

    assert shown(listed) == [f"Disclosure to County Health Department on {today:%Y-%m-%d} recorded: it will be "
                             "listed in the patient's accounting of disclosures."]
    assert shown(exempt) == [f"Disclosure to Lakeside Clinic on {today:%Y-%m-%d} recorded: it is not listed in the "
                             "accounting (treatment, payment or operations)."]
    recorded = Disclosure.objects.get(recipient_name="County Health Department")
    assert recorded.recipient_address == "12 Civic Plaza\nSpringfield, IL 62701"
    assert "12 Civic Plaza" in listed.content.decode()


def test_a_release_on_the_desk_confirms_the_disclosure_it_recorded(chart, roi, client_for):
    client = client_for(roi)
    form = {"patient_mrn": chart["patient"].mrn, "requester_type": "court", "requester_name": "Superior Court",
            "purpose": "legal", "received_on": timezone.localdate().isoformat(), "delivery_format": "pdf",
            "document_types": ["18842-5"]}
    url = client.post("/disclosures/requests/new/", form)["Location"]
    client.post(f"{url}process/")
    client.post(f"{url}quality-check/")
    client.get(url)
    response = client.post(f"{url}release/", follow=True)
    [message] = shown(response)
    assert message.startswith("Released: ")
    assert message.endswith(f"Disclosure to Superior Court on {timezone.localdate():%Y-%m-%d} recorded: it will be "
                            "listed in the patient's accounting of disclosures.")


@pytest.fixture
def provided(chart, roi, privacy, client_for):
    """Maria Garcia's accounting, provided on the desk: a court release, a public-health report with the
    agency's address, and two disclosures the accounting leaves out (one for treatment, one seven years old)."""
    patient = chart["patient"]
    PatientAddress.objects.create(patient=patient, use="home", line1="48 Elm Street", city="Springfield", state="IL",
                                  postal_code="62704")
    release(patient, roi, requester_type="court", requester_name="Superior Court of Lake County", purpose="legal",
            requester_address="200 Main Street, Waukegan, IL", document_types=["18842-5"])
    client = client_for(privacy)
    record_on_the_desk(client, patient, disclosed_on=(timezone.localdate() - timedelta(days=40)).isoformat())
    record_on_the_desk(client, patient, recipient_name="Lakeside Clinic", legal_basis="tpo")
    do_record_disclosure(patient, recipient_name="Old Records Bureau", description="Immunisation record",
                         purpose="School entry", legal_basis="required_by_law", acting_user=privacy,
                         disclosed_at=timezone.make_aware(datetime.combine(
                             timezone.localdate() - timedelta(days=365 * 7), time(12))))
    client.post(f"/disclosures/privacy/patient/{patient.pk}/accounting/")
    accounting = AccountingRequest.objects.get()
    client.post(f"/disclosures/accounting/{accounting.pk}/")
    return client, accounting


def letter_text(response) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(response.content)).pages)


def test_the_letter_lists_every_disclosure_of_the_period_with_date_recipient_address_what_and_why(provided):
    client, accounting = provided
    page = client.get(f"/disclosures/accounting/{accounting.pk}/").content.decode()
    assert f"/disclosures/accounting/{accounting.pk}/letter/" in page

    response = client.get(f"/disclosures/accounting/{accounting.pk}/letter/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(letter_text(response).split())
    today = timezone.localdate()
    assert "Maria Garcia 48 Elm Street Springfield, IL 62704" in text
    assert f"1. {today - timedelta(days=40):%Y-%m-%d}: to County Health Department" in text
    assert "Address: 12 Civic Plaza Springfield, IL 62701" in text
    assert "What was disclosed: Positive tuberculosis culture of 2026-11-02" in text
    assert "Purpose: Reportable disease report" in text
    assert f"2. {today:%Y-%m-%d}: to Superior Court of Lake County" in text
    assert "Address: 200 Main Street, Waukegan, IL" in text
    assert "Purpose: Legal proceedings" in text
    assert "Lakeside Clinic" not in text and "Old Records Bureau" not in text
    assert "There is no fee" in text
    event = AuditEvent.objects.filter(action="export", object_type="accounting_request", detail__letter=True).get()
    assert event.detail["entries"] == 2


def test_the_letter_goes_to_the_agreed_confidential_address(provided, privacy, chart):
    from chartdesk.disclosures.amendments import do_decide_restriction, do_request_restriction

    client, accounting = provided
    agreed = do_request_restriction(chart["patient"], kind="confidential", description="Mail to my PO box",
                                    alternative_contact="PO Box 12, Springfield", acting_user=privacy)
    do_decide_restriction(agreed, agree=True, acting_user=privacy)
    text = letter_text(client.get(f"/disclosures/accounting/{accounting.pk}/letter/"))
    assert "PO Box 12, Springfield" in text
    assert "48 Elm Street" not in text


def test_no_letter_before_the_accounting_is_provided(chart, privacy, client_for):
    client = client_for(privacy)
    client.post(f"/disclosures/privacy/patient/{chart['patient'].pk}/accounting/")
    accounting = AccountingRequest.objects.get()
    response = client.get(f"/disclosures/accounting/{accounting.pk}/letter/", follow=True)
    assert response.redirect_chain[-1][0] == f"/disclosures/accounting/{accounting.pk}/"
    assert shown(response)[-1] == "Provide the accounting first: the letter lists what the patient is given."
    assert not AuditEvent.objects.filter(action="export", object_type="accounting_request").exists()


@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "roi", "transcriptionist", "provider",
                                  "him_manager", "administrator"])
def test_only_the_privacy_officer_prints_the_letter(role, provided, users, client_for):
    _, accounting = provided
    response = client_for(users[role]).get(f"/disclosures/accounting/{accounting.pk}/letter/")
    assert response.status_code == 403
    assert response["Content-Type"] != "application/pdf"


def test_a_disclosure_dated_tomorrow_is_refused_and_nothing_is_recorded(chart, privacy, client_for):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = record_on_the_desk(client_for(privacy), chart["patient"], disclosed_on=tomorrow.isoformat())
    assert response.status_code == 400
    assert "in the future" in response.content.decode()
    assert not Disclosure.objects.filter(recipient_name="County Health Department").exists()
