"""Decompression bombs are refused before anything decodes them, on every path an upload takes: the
chart upload on the desk, the scanning desk (whose separator reading renders pages with pypdfium2 and
reads barcodes with zxing-cpp), and the scanned form of an authorization."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chartdesk.charts.models import Document
from chartdesk.filing.models import ScanBatch
from tests.charts.bombs import flate_bomb_pdf, huge_image_pdf, one_page_pdf
from tests.charts.conftest import image_bytes, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def post_chart_upload(client, patient, name, content, day):
    return client.post(reverse("charts-upload", kwargs={"patient_id": patient.pk}), {
        "upload": upload(name, content), "document_type": "34109-9", "title": "Outside records",
        "service_date": day.isoformat(),
    })


def stored_files(data_dir):
    return [path for path in data_dir.rglob("*") if path.is_file()]


def test_a_small_pdf_whose_stream_inflates_to_a_gigabyte_is_refused_at_the_default_limit(
    patient, users, yesterday, client_for, _isolated_data_dir
):
    bomb = flate_bomb_pdf(1024)
    assert len(bomb) < 1_100_000  # about 1 MB on disk

    response = post_chart_upload(client_for(users["registrar"]), patient, "records.pdf", bomb, yesterday)

    assert response.status_code == 400
    assert "The PDF records.pdf holds a compressed stream (object at byte" in response.content.decode()
    assert "that expands to more than 256 MB: it would exhaust the server&#x27;s memory" in response.content.decode()
    assert Document.objects.count() == 0
    assert stored_files(_isolated_data_dir) == []


def test_the_scanning_desk_refuses_the_bomb_before_reading_separators(users, client_for, settings):
    settings.UPLOAD_MAX_DECODED_BYTES = 8 * 1024 * 1024

    response = client_for(users["registrar"]).post(reverse("filing-batches"),
                                                   {"upload": upload("batch.pdf", flate_bomb_pdf(64))})

    assert response.status_code == 400
    assert "that expands to more than 8 MB" in response.content.decode()
    assert not ScanBatch.objects.exists()


def test_a_stream_within_the_limit_is_accepted(patient, users, yesterday, client_for, settings):
    settings.UPLOAD_MAX_DECODED_BYTES = 8 * 1024 * 1024

    response = post_chart_upload(client_for(users["registrar"]), patient, "ok.pdf", flate_bomb_pdf(7), yesterday)

    assert response.status_code == 302
    assert Document.objects.get().current_version.page_count == 1


def test_an_embedded_image_of_too_many_pixels_is_refused(patient, users, yesterday, client_for):
    response = post_chart_upload(client_for(users["registrar"]), patient, "photo.pdf",
                                 huge_image_pdf(50_000, 40_000), yesterday)

    assert response.status_code == 400
    assert ("holds an embedded image of 50,000 x 40,000 pixels; the most accepted is 100,000,000 pixels "
            "(100 megapixels)") in response.content.decode()


def test_a_page_too_large_to_render_is_refused(patient, users, yesterday, client_for):
    # 200 x 200 inches: 20,000 x 20,000 pixels when separator reading renders it at 100 dpi.
    response = post_chart_upload(client_for(users["registrar"]), patient, "poster.pdf",
                                 one_page_pdf(media_box=b"0 0 14400 14400"), yesterday)

    assert response.status_code == 400
    assert "holds page 1, rendered at 100 dpi, an image of 20,000 x 20,000 pixels" in response.content.decode()


def test_too_many_pages_are_refused_for_pdf_and_tiff(patient, users, yesterday, client_for, settings):
    settings.UPLOAD_MAX_PAGES = 3
    client = client_for(users["registrar"])

    pdf = post_chart_upload(client, patient, "long.pdf", pdf_bytes(pages=4), yesterday)
    tiff = post_chart_upload(client, patient, "long.tif", image_bytes("TIFF", frames=4), yesterday)

    for response, name in ((pdf, "long.pdf"), (tiff, "long.tif")):
        assert response.status_code == 400
        assert f"The file {name} has 4 pages; the most accepted is 3." in response.content.decode()
    assert Document.objects.count() == 0


def test_an_image_of_too_many_pixels_is_refused_from_its_header(patient, users, yesterday, client_for, settings):
    settings.UPLOAD_MAX_PIXELS = 1000  # the test image is 40 x 30 = 1,200 pixels

    response = post_chart_upload(client_for(users["registrar"]), patient, "scan.png", image_bytes("PNG"), yesterday)

    assert response.status_code == 400
    assert "holds an image of 40 x 30 pixels; the most accepted is 1,000 pixels" in response.content.decode()


def test_an_lzw_stream_that_could_expand_past_the_limit_is_refused_unread(patient, users, yesterday, client_for,
                                                                          settings):
    from tests.charts.bombs import stream

    settings.UPLOAD_MAX_DECODED_BYTES = 1024 * 1024
    content = one_page_pdf(contents=stream(b"/Filter /LZWDecode", b"\x80" * 2000))

    response = post_chart_upload(client_for(users["registrar"]), patient, "old.pdf", content, yesterday)

    assert response.status_code == 400
    assert "holds a LZWDecode stream (object at byte" in response.content.decode()
    assert "cannot be checked without decoding it" in response.content.decode()
