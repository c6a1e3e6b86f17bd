"""A release-of-information request from logging to release, through the real desk in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def a_patient_with_signed_documents(server) -> str:
    return server.python(
        "from chartdesk.charts.models import Document\n"
        "document = Document.objects.filter(status='final', patient__restriction='').order_by('id').first()\n"
        "print(document.patient.mrn)\n"
    ).strip()


def test_the_roi_specialist_logs_a_patients_request_and_releases_it(server, page, log_in):
    mrn = a_patient_with_signed_documents(server)
    log_in(page, "roi")
    page.get_by_role("link", name="Request queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Release-of-information queue")
    page.get_by_role("link", name="Log a request").click()

    page.get_by_label("Patient MRN").fill(mrn)
    page.get_by_label("Requester", exact=True).select_option("patient")
    page.get_by_label("Requester's name").fill("The patient in person")
    page.get_by_label("Requester's e-mail").fill("patient@example.org")
    page.get_by_label("Purpose", exact=True).select_option("access")
    page.get_by_label("Format").select_option("electronic")
    page.get_by_role("button", name="Log request").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Request ROI-")
    expect(page.get_by_role("heading", level=1)).to_contain_text("30 days left")
    number = re.search(r"ROI-\d{4}-\d{5}", page.get_by_role("heading", level=1).inner_text()).group(0)

    page.get_by_label("How the requester's identity (and authority) was verified").fill("Driver's licence at the desk")
    page.get_by_role("button", name="Record verification").click()
    expect(page.get_by_text("Identity verified.")).to_be_visible()
    page.get_by_role("button", name="Start processing").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("In processing")
    expect(page.get_by_role("heading", name="Documents: in or out, and why")).to_be_visible()
    page.get_by_role("button", name="Send to quality check").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quality check")
    page.get_by_role("button", name="Release records").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Released")
    expect(page.get_by_role("heading", name="Release packet")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Invoice INV-"))).to_be_visible()
    page.get_by_role("button", name="Create download link").click()
    link = page.locator("#download-link")
    expect(link).to_be_visible()

    with page.expect_download() as download:
        page.evaluate("url => { const a = document.createElement('a'); a.href = url; a.download = ''; "
                      "document.body.appendChild(a); a.click(); }", link.get_attribute("href"))
    assert download.value.suggested_filename == f"{number}.pdf"
    used = server.python(
        "from chartdesk.disclosures.models import DownloadLinkUse\n"
        "print(DownloadLinkUse.objects.filter(outcome='downloaded').count())\n"
    )
    assert used.strip() == "1"
