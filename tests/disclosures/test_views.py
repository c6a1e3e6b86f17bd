"""The desk pages: the ROI queue and a request worked to release, the privacy desk, per role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.disclosures.models import AmendmentRequest, ReleaseRequest
from tests.disclosures.helpers import PATIENT_ACCESS, release
from tests.support import factories


def log_through_the_desk(client, patient, **changes):
    form = {"patient_mrn": patient.mrn, "requester_type": "patient", "requester_name": "Maria Garcia",
            "purpose": "access", "received_on": timezone.localdate().isoformat(), "delivery_format": "electronic",
            "requester_email": "maria@example.org"}
    form.update(changes)
    return client.post("/disclosures/requests/new/", form)


def test_the_roi_specialist_logs_a_request_and_sees_its_clock_in_the_queue(chart, roi, client_for):
    client = client_for(roi)
    response = log_through_the_desk(client, chart["patient"], received_on=(
        timezone.localdate() - timedelta(days=27)).isoformat())
    request = ReleaseRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/disclosures/requests/{request.pk}/"
    queue = client.get("/disclosures/").content.decode()
    assert request.number in queue
    assert "3 days left" in queue
    assert "badge-warning" in queue


def test_a_request_for_an_unknown_mrn_names_the_field_and_saves_nothing(chart, roi, client_for):
    response = log_through_the_desk(client_for(roi), chart["patient"], patient_mrn="99999999")
    assert response.status_code == 400
    assert "No patient with this MRN." in response.content.decode()
    assert ReleaseRequest.objects.count() == 0


def test_a_request_is_worked_to_release_through_its_steps(chart, roi, client_for):
    client = client_for(roi)
    log_through_the_desk(client, chart["patient"])
    request = ReleaseRequest.objects.get()
    base = f"/disclosures/requests/{request.pk}/"
    client.post(base + "verify/", {"text": "Photo ID at the desk"})
    client.post(base + "process/")
    client.post(base + "quality-check/")
    client.post(base + "release/")
    request.refresh_from_db()
    assert request.status == "released"
    page = client.get(base).content.decode()
    assert "Release packet" in page
    assert "Invoice INV-" in page
    packet = request.packets.get()
    response = client.post(f"/disclosures/packet/{packet.pk}/link/", {"hours": "24"})
    link = response.context["new_link"]
    assert "/disclosures/download/" in link
    downloaded = client_for(roi).get(link.split("testserver", 1)[1])
    assert downloaded.status_code == 200
    assert downloaded["Content-Type"] == "application/pdf"


def test_the_request_page_says_why_each_document_is_in_or_out(chart, roi, client_for):
    client = client_for(roi)
    log_through_the_desk(client, chart["patient"], document_types=["18842-5"])
    page = client.get(f"/disclosures/requests/{ReleaseRequest.objects.get().pk}/").content.decode()
    assert "Not a requested document type (Laboratory report)." in page


def test_a_blocked_release_shows_every_reason(chart, roi, client_for, authorization_for):
    client = client_for(roi)
    log_through_the_desk(client, chart["patient"], requester_type="attorney", requester_name="Harbor Life",
                         purpose="insurance", delivery_format="pdf")
    request = ReleaseRequest.objects.get()
    authorization = authorization_for(chart["patient"], recipient="", states_right_to_revoke=False)
    client.post(f"/disclosures/requests/{request.pk}/attach/", {"authorization": authorization.pk})
    client.post(f"/disclosures/requests/{request.pk}/process/")
    page = client.get(f"/disclosures/requests/{request.pk}/").content.decode()
    assert "Release is blocked" in page
    assert "It does not name to whom the disclosure may be made" in page
    assert "The statement of the right to revoke it is missing" in page


@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "provider", "administrator"])
def test_other_roles_cannot_open_the_queue(role, users, client_for):
    assert client_for(users[role]).get("/disclosures/").status_code == 403


def test_the_privacy_officer_cannot_work_requests_but_keeps_the_privacy_desk(privacy, client_for):
    client = client_for(privacy)
    assert client.get("/disclosures/").status_code == 403
    assert client.get("/disclosures/privacy/").status_code == 200


def test_the_roi_specialist_cannot_open_the_privacy_desk_or_export(roi, client_for):
    client = client_for(roi)
    assert client.get("/disclosures/privacy/").status_code == 403
    assert client.get("/disclosures/deidentified/").status_code == 403


def test_the_privacy_officer_logs_and_denies_an_amendment_on_the_desk(chart, privacy, client_for):
    client = client_for(privacy)
    patient = chart["patient"]
    assert client.get(f"/disclosures/privacy/patient/{patient.pk}/").status_code == 200
    response = client.post(f"/disclosures/privacy/patient/{patient.pk}/amendment/", {
        "document": chart["summary"].pk, "requested_change": "Remove the smoking history",
        "received_on": timezone.localdate().isoformat()})
    assert response.status_code == 302
    amendment = AmendmentRequest.objects.get()
    client.post(f"/disclosures/amendment/{amendment.pk}/deny/", {"basis": "accurate", "explanation": "Documented."})
    client.post(f"/disclosures/amendment/{amendment.pk}/disagreement/", {"text": "I never smoked."})
    amendment.refresh_from_db()
    assert (amendment.status, amendment.disagreement) == ("denied", "I never smoked.")
    assert "I never smoked." in client.get(f"/disclosures/amendment/{amendment.pk}/").content.decode()


def test_the_accounting_page_lists_a_court_release_and_provides_it(chart, roi, privacy, client_for):
    release(chart["patient"], roi, requester_type="court", requester_name="Superior Court", purpose="legal",
            document_types=["18842-5"])
    client = client_for(privacy)
    client.post(f"/disclosures/privacy/patient/{chart['patient'].pk}/accounting/")
    from chartdesk.disclosures.models import AccountingRequest

    accounting = AccountingRequest.objects.get()
    assert "Superior Court" in client.get(f"/disclosures/accounting/{accounting.pk}/").content.decode()
    client.post(f"/disclosures/accounting/{accounting.pk}/")
    accounting.refresh_from_db()
    assert accounting.status == "provided"


def test_viewing_a_request_is_audited(chart, roi, client_for):
    packet = release(chart["patient"], roi, **PATIENT_ACCESS)
    client_for(roi).get(f"/disclosures/requests/{packet.request_id}/")
    assert AuditEvent.objects.filter(action="view", object_type="release_request",
                                     object_id=str(packet.request_id)).exists()


def test_an_authorization_is_recorded_with_its_scanned_form_and_attached(chart, roi, client_for):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    scan = io.BytesIO()
    writer.write(scan)
    client = client_for(roi)
    log_through_the_desk(client, chart["patient"], requester_type="attorney", requester_name="Harbor Life",
                         purpose="insurance", delivery_format="pdf")
    request = ReleaseRequest.objects.get()
    response = client.post(
        f"/disclosures/patient/{chart['patient'].pk}/authorizations/new/?request={request.pk}",
        {"scanned_form": SimpleUploadedFile("authorization.pdf", scan.getvalue(), content_type="application/pdf"),
         "information_described": "Discharge summaries", "discloser": "Chartdesk General",
         "recipient": "Harbor Life", "purpose": "Insurance", "purposes": ["insurance"], "expires_on": "2099-01-01",
         "signature_present": "on",
         "signed_on": timezone.localdate().isoformat(), "states_right_to_revoke": "on", "states_conditioning": "on",
         "states_redisclosure": "on", "sensitive_categories": ["hiv_sti"]},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    authorization = request.authorization
    assert len(authorization.scanned_form_sha256) == 64
    assert authorization.sensitive_categories == ["hiv_sti"]


def test_a_file_that_is_not_a_scan_is_refused_naming_the_field(chart, roi, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(roi).post(
        f"/disclosures/patient/{chart['patient'].pk}/authorizations/new/",
        {"scanned_form": SimpleUploadedFile("form.pdf", b"MZ not a pdf", content_type="application/pdf")},
    )
    assert response.status_code == 400
    assert "Scanned form" in response.content.decode()
    from chartdesk.disclosures.models import Authorization

    assert Authorization.objects.count() == 0


def test_an_expired_link_answers_gone(chart, roi, client_for):
    from chartdesk.disclosures.actions import do_create_download_link
    from chartdesk.disclosures.models import DownloadLink

    packet = release(chart["patient"], roi, **PATIENT_ACCESS, delivery_format="electronic",
                     requester_email="maria@example.org")
    token = do_create_download_link(packet, acting_user=roi, hours=1)
    DownloadLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    from django.test import Client

    response = Client().get(f"/disclosures/download/{token}/")
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_the_author_reviews_an_amendment_request_from_their_home_page(chart, privacy, author, client_for):
    from chartdesk.charts.models import Addendum
    from chartdesk.disclosures.amendments import do_request_amendment
    from chartdesk.disclosures.models import AmendmentStatus

    amendment = do_request_amendment(chart["summary"], requested_change="I never smoked.", acting_user=privacy)
    client = client_for(author)

    home = client.get("/").content.decode()
    assert "Amendment requests on your documents" in home and f"/disclosures/amendment/{amendment.pk}/" in home
    page = client.get(f"/disclosures/amendment/{amendment.pk}/")
    assert page.status_code == 200 and b"Extend once" not in page.content  # the extension is the privacy desk's

    assert client.post(f"/disclosures/amendment/{amendment.pk}/review/").status_code == 302
    response = client.post(f"/disclosures/amendment/{amendment.pk}/accept/",
                           {"amendment_text": "Never smoked: the social history is corrected.", "notify": ""})
    assert response.status_code == 302
    amendment = AmendmentRequest.objects.get(pk=amendment.pk)
    assert (amendment.status, amendment.reviewer_id) == (AmendmentStatus.ACCEPTED, author.pk)
    assert Addendum.objects.get(pk=amendment.addendum_id).signed_by_id == author.pk
    assert "Amendment requests on your documents" not in client.get("/").content.decode()


def test_another_provider_cannot_open_or_decide_an_amendment_on_a_document_they_did_not_write(
        chart, privacy, client_for):
    from chartdesk.disclosures.amendments import do_request_amendment
    from chartdesk.disclosures.models import AmendmentStatus

    amendment = do_request_amendment(chart["summary"], requested_change="I never smoked.", acting_user=privacy)
    stranger = factories.make_user("provider")
    factories.make_provider("Grace", "Hopper", user=stranger, npi="1245319599")
    client = client_for(stranger)

    assert client.get(f"/disclosures/amendment/{amendment.pk}/").status_code == 404
    assert client.post(f"/disclosures/amendment/{amendment.pk}/accept/",
                       {"amendment_text": "Changed."}).status_code == 404
    assert AmendmentRequest.objects.get(pk=amendment.pk).status == AmendmentStatus.RECEIVED
