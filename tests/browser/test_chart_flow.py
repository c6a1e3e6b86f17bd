"""The day's core loop in a real browser: find a patient, open the chart, upload a document, sign it,
and see that visit in the patient's audit report."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _an_unrestricted_patient(server) -> dict[str, str]:
    found = server.python(
        "import json\n"
        "from chartdesk.patients.models import Patient\n"
        "p = Patient.objects.filter(restriction='', merged_into=None).order_by('pk').first()\n"
        "print(json.dumps({'id': p.pk, 'mrn': p.mrn, 'given': p.given_name, 'family': p.family_name}))\n"
    )
    return json.loads(found.strip().splitlines()[-1])


def _png_scan() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (120, 80), "white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_provider_uploads_and_signs_a_document_and_the_privacy_officer_sees_the_view(server, page, log_in):
    patient = _an_unrestricted_patient(server)

    log_in(page, "provider")
    page.get_by_role("link", name=re.compile("find a patient|patients", re.IGNORECASE)).first.click()
    page.get_by_label("Find a patient").fill(f"{patient['family']} {patient['given']}")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=re.compile(re.escape(patient["mrn"]))).first.click()
    expect(page.get_by_role("region", name="Patient")).to_contain_text(patient["mrn"])

    page.get_by_role("link", name="Upload").click()
    page.get_by_label("File").set_input_files(
        files=[{"name": "outside-records.png", "mimeType": "image/png", "buffer": _png_scan()}]
    )
    page.get_by_label("Document type").select_option(label="Correspondence (letter)")
    page.get_by_label("Title").fill("Letter from the referring clinic")
    page.get_by_label("Service date").fill(date.today().isoformat())
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", name=re.compile("Letter from the referring clinic"))).to_be_visible()
    page.get_by_role("link", name="Sign", exact=True).click()
    page.get_by_label("I have reviewed this document and sign it electronically.").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("^sign", re.IGNORECASE)).click()
    expect(page.get_by_text(re.compile("Electronically signed", re.IGNORECASE)).first).to_be_visible()

    signed = server.python(
        "from chartdesk.charts.models import Document\n"
        "d = Document.objects.get(title='Letter from the referring clinic')\n"
        "print(d.patient_id, d.current_version.is_signed, d.current_version.signed_by.username)\n"
    )
    assert signed.split() == [str(patient["id"]), "True", "provider"]

    page.context.clear_cookies()
    log_in(page, "privacy_officer")
    page.goto(server.url("/audit/patient/"))
    page.get_by_label("MRN").fill(patient["mrn"])
    page.get_by_role("button", name="Show").click()

    rows = page.locator("table.data tbody tr")
    views_by_provider = rows.filter(has=page.get_by_role("cell", name="provider", exact=True)).filter(
        has_text=re.compile(r"\bView", re.IGNORECASE)
    )
    expect(views_by_provider.first).to_be_visible()
    signatures = rows.filter(has_text=re.compile(r"\bSign", re.IGNORECASE))
    expect(signatures.first).to_contain_text("provider")
