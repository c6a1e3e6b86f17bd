"""The release packet: stamps on every page, redactions that remove the content, manifest, links, fees."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.actions import do_sign_document, do_upload_document
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.disclosures.actions import (
    do_add_redaction,
    do_create_download_link,
    do_release_request,
    do_use_download_link,
)
from chartdesk.disclosures.fees import quote_fee
from chartdesk.disclosures.models import DownloadLink, DownloadLinkUse, Invoice
from tests.disclosures.helpers import PATIENT_ACCESS, packet_text, page_texts, release, to_quality_check


def text_pdf(pages: list[str]) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    for text in pages:
        canvas.drawString(72, 700, text)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def scanned_letter(patient, author, pages):
    document = do_upload_document(
        patient, upload=SimpleUploadedFile("letter.pdf", text_pdf(pages), content_type="application/pdf"),
        document_type="51852-2", title="Outside letter", service_date=timezone.localdate() - timedelta(days=5),
        acting_user=author, author=author.provider,
    )
    do_sign_document(document, acting_user=author)
    document.refresh_from_db()
    return document


def test_every_page_is_stamped_with_patient_mrn_request_and_page_n_of_m(chart, roi):
    packet = release(chart["patient"], roi, **PATIENT_ACCESS)
    pages = page_texts(packet)
    patient = chart["patient"]
    assert len(pages) == packet.page_count
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert f"MRN {patient.mrn}" in text
        assert "Garcia, Maria" in text
        assert packet.request.number in text
        assert "CONFIDENTIAL" in text


def test_the_cover_letter_and_manifest_list_what_was_released_and_what_was_not(chart, roi):
    packet = release(chart["patient"], roi, requester_type="provider", requester_name="Dr Lee, Lakeside Clinic",
                     purpose="treatment", document_types=["18842-5", "11502-2"])
    titles = [entry["title"] for entry in packet.manifest["documents"]]
    assert titles == ["Discharge summary", "Basic metabolic panel"]
    assert packet.manifest["excluded"] == [{
        "document_id": chart["old_note"].pk, "title": "Clinic visit",
        "reasons": ["Not a requested document type (Progress note)."],
    }]
    first_page = page_texts(packet)[0]
    assert "Dr Lee, Lakeside Clinic" in first_page
    assert "Manifest of request" in page_texts(packet)[-1]
    assert packet.manifest["documents"][0]["pages"][0] == 2


def test_a_redacted_phrase_is_gone_from_the_text_of_the_packet(chart, roi):
    request = to_quality_check(chart["patient"], roi, **PATIENT_ACCESS)
    do_add_redaction(request, chart["summary"], phrase="ceftriaxone", reason="Third-party information",
                     acting_user=roi)
    packet = do_release_request(request, acting_user=roi)
    text = packet_text(packet)
    assert "ceftriaxone" not in text.lower()
    assert "[REDACTED]" in text
    assert "community-acquired pneumonia" in text
    redactions = {entry["title"]: entry["redactions"] for entry in packet.manifest["documents"]}
    assert redactions == {"Clinic visit": 0, "Discharge summary": 1, "Basic metabolic panel": 0}


def test_a_phrase_in_a_stored_pdf_is_removed_by_typesetting_the_page_again(chart, roi, author):
    letter = scanned_letter(chart["patient"], author, ["Brother John Doe was also treated here.", "Second page."])
    request = to_quality_check(chart["patient"], roi, **PATIENT_ACCESS)
    do_add_redaction(request, letter, phrase="John Doe", reason="Another person's information", acting_user=roi)
    packet = do_release_request(request, acting_user=roi)
    text = packet_text(packet)
    assert "John Doe" not in text
    assert "Brother [REDACTED] was also treated here." in " ".join(text.split())
    assert "Second page." in text


def test_a_withheld_page_is_replaced_and_its_content_is_gone(chart, roi, author):
    letter = scanned_letter(chart["patient"], author, ["Page one is fine.", "Page two holds a secret."])
    request = to_quality_check(chart["patient"], roi, **PATIENT_ACCESS)
    do_add_redaction(request, letter, pages="2", reason="Not part of the designated record set", acting_user=roi)
    packet = do_release_request(request, acting_user=roi)
    text = packet_text(packet)
    assert "holds a secret" not in text
    assert "Outside letter: page 2 withheld" in text
    assert "Page one is fine." in text


def test_a_redaction_with_bad_pages_names_the_field(chart, roi):
    request = to_quality_check(chart["patient"], roi, **PATIENT_ACCESS)
    with pytest.raises(ChartdeskError) as refused:
        do_add_redaction(request, chart["summary"], pages="2-x", reason="r", acting_user=roi)
    assert refused.value.field == "pages"


def test_an_image_document_is_drawn_into_the_packet(chart, roi, author):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (200, 260), color=200).save(buffer, format="PNG")
    scan = do_upload_document(
        chart["patient"], upload=SimpleUploadedFile("scan.png", buffer.getvalue(), content_type="image/png"),
        document_type="34109-9", title="Scanned consent", service_date=timezone.localdate() - timedelta(days=1),
        acting_user=author, author=author.provider,
    )
    do_sign_document(scan, acting_user=author)
    packet = release(chart["patient"], roi, **PATIENT_ACCESS)
    entry = next(entry for entry in packet.manifest["documents"] if entry["title"] == "Scanned consent")
    assert entry["pages"][0] == entry["pages"][1]


# ----------------------------------------------------------------------------- download links


def electronic_packet(chart, roi):
    return release(chart["patient"], roi, **PATIENT_ACCESS, delivery_format="electronic",
                   requester_email="maria@example.org")


def test_a_download_link_hands_out_the_packet_and_its_use_is_logged(chart, roi):
    packet = electronic_packet(chart, roi)
    token = do_create_download_link(packet, acting_user=roi, hours=24)
    found, content = do_use_download_link(token, client_address="203.0.113.9")
    assert found.pk == packet.pk
    assert content.startswith(b"%PDF")
    use = DownloadLinkUse.objects.get()
    assert (use.outcome, use.client_address) == ("downloaded", "203.0.113.9")
    event = AuditEvent.objects.filter(action="download", object_type="download_link").last()
    assert event.username == "recipient:Maria Garcia"
    assert event.patient_mrn == chart["patient"].mrn


def test_an_expired_link_refuses_and_the_attempt_is_logged(chart, roi):
    packet = electronic_packet(chart, roi)
    token = do_create_download_link(packet, acting_user=roi, hours=1)
    link = DownloadLink.objects.get()
    DownloadLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ChartdeskError, match="expired"):
        do_use_download_link(token)
    assert DownloadLinkUse.objects.get().outcome == "expired"


def test_a_forged_token_finds_nothing(chart, roi):
    with pytest.raises(NotFound):
        do_use_download_link("eyJsaW5rIjoxfQ:forged:signature")


def test_links_are_only_for_electronic_delivery(chart, roi):
    packet = release(chart["patient"], roi, **PATIENT_ACCESS)
    with pytest.raises(ChartdeskError, match="Download links are for electronic delivery"):
        do_create_download_link(packet, acting_user=roi)


# ----------------------------------------------------------------------------- fees


def test_a_patients_own_paper_copy_is_charged_a_cost_based_fee(chart, roi):
    packet = release(chart["patient"], roi, **PATIENT_ACCESS, delivery_format="paper")
    invoice = Invoice.objects.get(request=packet.request)
    pages = packet.page_count
    assert invoice.method == "cost_based"
    assert invoice.lines == [[f"Labour to copy {pages} pages", 5 * pages],
                             [f"Paper and toner for {pages} pages", 10 * pages], ["Postage", 150]]
    assert invoice.total_cents == 15 * pages + 150


def test_a_flat_fee_applies_to_electronic_copies_when_configured(chart, roi, settings):
    settings.DISCLOSURE_FEES = {"patient_method": "flat"}
    packet = electronic_packet(chart, roi)
    invoice = Invoice.objects.get(request=packet.request)
    assert (invoice.method, invoice.total_cents) == ("flat", 650)


def test_third_parties_pay_per_page_and_treatment_copies_are_free(chart, roi):
    request = to_quality_check(chart["patient"], roi, requester_type="court", requester_name="Superior Court",
                               purpose="legal", document_types=["18842-5"])
    assert quote_fee(request, 10).lines == [("Search and handling", 1500), ("10 pages", 500), ("Postage", 150)]
    request.purpose = "treatment"
    assert quote_fee(request, 10).total_cents == 0


def test_phrase_and_page_redactions_on_one_pdf_keep_the_pages_in_order(chart, roi, author):
    letter = scanned_letter(chart["patient"], author, ["First: John Doe called.", "Second: keep me.",
                                                       "Third: withheld secret.", "Fourth: John Doe again."])
    request = to_quality_check(chart["patient"], roi, **PATIENT_ACCESS)
    do_add_redaction(request, letter, phrase="John Doe", reason="Third party", acting_user=roi)
    do_add_redaction(request, letter, pages="3", reason="Not in the record set", acting_user=roi)
    packet = do_release_request(request, acting_user=roi)
    entry = next(entry for entry in packet.manifest["documents"] if entry["title"] == "Outside letter")
    first, last = entry["pages"]
    pages = page_texts(packet)[first - 1:last]
    assert len(pages) == 4
    assert "First: [REDACTED] called." in pages[0]
    assert "Second: keep me." in pages[1]
    assert "page 3 withheld" in pages[2] and "secret" not in pages[2]
    assert "Fourth: [REDACTED] again." in pages[3]
    assert entry["withheld_pages"] == [3]
