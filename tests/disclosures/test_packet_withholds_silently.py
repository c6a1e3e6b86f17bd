"""The outgoing packet never says what was withheld for its sensitivity: the recipient reads only what
was released. The worksheet (and the stored manifest) keep the reasons for the specialist."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from chartdesk.disclosures.actions import do_label_document
from chartdesk.disclosures.amendments import do_decide_restriction, do_request_restriction
from chartdesk.disclosures.models import ReleasePacket, ReleaseRequest
from tests.disclosures.conftest import write_signed_note
from tests.support import factories

# Words that would tell the recipient a sensitive record exists.
TELLTALES = ("Not released", "Basic metabolic panel", "Cash lab visit", "Substance", "Part 2", "42 CFR",
             "sychotherapy", "HIV", "sexually", "Genetic", "genetic", "minor", "self-pa", "paid for this encounter",
             "health plan", "restricted", "authorization names", "164.522", "164.524")


def work_to_release(client, patient, **fields):
    form = {"patient_mrn": patient.mrn, "received_on": timezone.localdate().isoformat(), "delivery_format": "pdf",
            "requester_address": "1 Harbor Way, Springfield", **fields}
    assert client.post("/disclosures/requests/new/", form).status_code == 302
    request = ReleaseRequest.objects.get()
    return request, f"/disclosures/requests/{request.pk}/"


def release_and_read(client, request, url, authorization=None):
    if authorization is not None:
        client.post(f"{url}attach/", {"authorization": authorization.pk})
    client.post(f"{url}process/")
    client.post(f"{url}quality-check/")
    client.post(f"{url}release/")
    packet = ReleasePacket.objects.get(request=request)
    downloaded = client.get(f"/disclosures/packet/{packet.pk}/")
    assert downloaded.status_code == 200
    return packet, "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(downloaded.content)).pages)


@pytest.mark.parametrize("category", ["part2", "psychotherapy", "hiv_sti", "genetic", "minor"])
def test_a_document_held_back_for_its_sensitivity_leaves_no_trace_in_the_packet(
        category, chart, roi, client_for, authorization_for):
    client = client_for(roi)
    request, url = work_to_release(client, chart["patient"], requester_type="attorney",
                                   requester_name="Harbor Life Insurance Co.", purpose="insurance",
                                   document_types=["18842-5", "11502-2"])
    do_label_document(chart["lab"], category=category, acting_user=roi)
    worksheet = client.get(url).content.decode()
    assert "released only when the authorization names this category" in worksheet

    packet, text = release_and_read(client, request, url, authorization_for(chart["patient"]))

    assert "Discharge summary" in text and "ceftriaxone" in text
    for telltale in TELLTALES:
        assert telltale not in text, telltale
    assert "Enclosed are copies of 1 document(s)" in text
    # The specialist's own record keeps what was left out and why.
    assert [entry["title"] for entry in packet.manifest["excluded"]] == ["Clinic visit", "Basic metabolic panel"]
    invoice = client.get(url).content.decode().split('id="invoice-heading"', 1)[1]
    assert "Basic metabolic panel" not in invoice and "Part 2" not in invoice


def test_a_self_paid_visit_held_back_from_the_health_plan_leaves_no_trace_in_the_packet(
        chart, roi, privacy, author, client_for):
    encounter = factories.make_encounter(chart["patient"], admit_at=timezone.now() - timedelta(days=30))
    write_signed_note(chart["patient"], author, title="Cash lab visit", text="HbA1c 5.4%", encounter=encounter,
                      document_type="11502-2", service_date=timezone.localdate() - timedelta(days=30))
    restriction = do_request_restriction(chart["patient"], kind="self_pay", encounter=encounter,
                                         description="Paid cash for the lab visit", acting_user=privacy)
    do_decide_restriction(restriction, agree=True, paid_in_full=True, acting_user=privacy)
    client = client_for(roi)
    request, url = work_to_release(client, chart["patient"], requester_type="payer",
                                   requester_name="Acme Health Plan", purpose="payment",
                                   document_types=["18842-5", "11502-2"])
    assert "restricted disclosure to the health plan" in client.get(url).content.decode()

    _, text = release_and_read(client, request, url)

    assert "Basic metabolic panel" in text.replace("\n", " ") or "Sodium 139" in text
    for telltale in ("Cash lab visit", "HbA1c", "Not released", "paid", "164.522", "restricted"):
        assert telltale not in text, telltale
