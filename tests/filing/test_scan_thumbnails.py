"""Page thumbnails on the split and index page: a PNG of each page, rendered for those who may open
the batch and audited as opening it; refused to everyone else."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.urls import reverse
from PIL import Image, ImageStat

from chartdesk.audit.models import AuditAction, AuditEvent
from chartdesk.filing import scanning
from tests.filing.scans import tiff_batch, upload


def blank_and_black_pdf() -> bytes:
    """Page 1 white, page 2 covered in black: a thumbnail shows which page it is."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pages = canvas.Canvas(out, pagesize=letter)
    pages.drawString(72, 720, "intake form")
    pages.showPage()
    pages.rect(0, 0, letter[0], letter[1], fill=1)
    pages.showPage()
    pages.save()
    return out.getvalue()


def thumbnail_url(batch: Any, page: int) -> str:
    return reverse("filing-batch-page", kwargs={"scan_batch_id": batch.pk, "page": page})


def shade(png: bytes) -> float:
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        return float(ImageStat.Stat(image.convert("L")).mean[0])


@pytest.fixture
def pdf_batch(users: dict[str, Any]) -> Any:
    return scanning.do_upload_scan_batch(upload("intake.pdf", blank_and_black_pdf()), acting_user=users["registrar"])


def test_a_pdf_page_thumbnail_is_a_small_png_of_that_page(pdf_batch, users, client_for):
    client = client_for(users["registrar"])
    first, second = client.get(thumbnail_url(pdf_batch, 1)), client.get(thumbnail_url(pdf_batch, 2))
    assert (first.status_code, first["Content-Type"], second.status_code) == (200, "image/png", 200)
    assert shade(first.content) > 240 and shade(second.content) < 15
    with Image.open(io.BytesIO(first.content)) as image:
        assert image.width == scanning.THUMBNAIL_WIDTH and abs(image.height - 207) <= 1  # letter: 160 * 11/8.5


def test_a_tiff_frame_thumbnail_is_that_frame(users, client_for):
    # tiff_batch paints frame n in grey 30 * n.
    batch = scanning.do_upload_scan_batch(upload("scan.tif", tiff_batch(3)), acting_user=users["registrar"])
    client = client_for(users["registrar"])
    assert [round(shade(client.get(thumbnail_url(batch, page)).content)) for page in (1, 2, 3)] == [30, 60, 90]


def test_viewing_a_thumbnail_is_audited_as_opening_the_batch(pdf_batch, users, client_for):
    clerk = users["registrar"]
    before = AuditEvent.objects.filter(object_type="scan_batch", object_id=str(pdf_batch.pk), user=clerk,
                                       action=AuditAction.VIEW).count()
    client_for(clerk).get(thumbnail_url(pdf_batch, 2))
    assert AuditEvent.objects.filter(object_type="scan_batch", object_id=str(pdf_batch.pk), user=clerk,
                                     action=AuditAction.VIEW).count() == before + 1


@pytest.mark.parametrize("role", ["coder", "billing", "roi", "front_desk"])
def test_roles_that_do_not_scan_get_no_thumbnail(pdf_batch, role, users, client_for):
    user = users[role]
    response = client_for(user).get(thumbnail_url(pdf_batch, 1))
    assert response.status_code == 403 and response["Content-Type"] != "image/png"
    assert not AuditEvent.objects.filter(object_type="scan_batch", user=user, action=AuditAction.VIEW).exists()


def test_a_page_the_batch_does_not_have_is_not_found(pdf_batch, users, client_for):
    response = client_for(users["registrar"]).get(thumbnail_url(pdf_batch, 3))
    assert response.status_code == 404 and b"The batch has no page 3." in response.content


def test_the_split_page_shows_every_page_with_its_alt_text(pdf_batch, users, client_for):
    page = client_for(users["registrar"]).get(reverse("filing-batch", kwargs={"scan_batch_id": pdf_batch.pk}))
    images = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', page.content.decode())
    assert images == [(thumbnail_url(pdf_batch, n), f"Page {n} of batch intake.pdf") for n in (1, 2)]
    assert "style=" not in page.content.decode().split('id="pages"')[1].split("</section>")[0]
