"""The billing desk: each page works for the billing specialist, reports only for the HIM manager."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chartdesk.billing.models import Claim, ClaimStatus, Coverage, Denial, X12Batch
from tests.billing.remits import Paid, remit_835

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client_for, billing_user):
    return client_for(billing_user)


def test_the_billing_specialist_charges_an_encounter_and_creates_its_claim(desk, charged_visit, clinician):
    page = desk.get(f"/billing/encounter/{charged_visit.pk}/charges/")
    assert page.status_code == 200
    assert b"36415" in page.content
    added = desk.post(f"/billing/encounter/{charged_visit.pk}/charges/", {
        "code": "93000", "modifiers": "59", "units": "1", "amount": "", "pointers": "2",
        "service_date": charged_visit.admit_at.date().isoformat(), "rendering_provider": clinician.pk,
        "place_of_service": "11",
    })
    assert added.status_code == 302
    assert charged_visit.charges.filter(code="93000", modifiers=["59"]).exists()
    created = desk.post(f"/billing/encounter/{charged_visit.pk}/claim/")
    claim = Claim.objects.get()
    assert created["Location"] == f"/billing/claim/{claim.pk}/"
    assert claim.total_charge == Decimal("192.00")


def test_a_bad_charge_line_is_shown_with_its_field_and_nothing_saved(desk, charged_visit, clinician):
    answer = desk.post(f"/billing/encounter/{charged_visit.pk}/charges/", {
        "code": "ZZZZZ", "units": "1", "pointers": "1", "service_date": "2026-01-05",
        "rendering_provider": clinician.pk, "place_of_service": "11",
    })
    assert answer.status_code == 400
    assert b"ZZZZZ is not a CPT or HCPCS code." in answer.content
    assert charged_visit.charges.count() == 2


def test_the_claim_page_the_cms1500_and_the_837_download(desk, charged_visit, run_jobs):
    desk.post("/billing/claims/create/")
    run_jobs()
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.READY
    assert b"Scrubber findings" in desk.get(f"/billing/claim/{claim.pk}/").content
    pdf = desk.get(f"/billing/claim/{claim.pk}/cms1500.pdf?form=red")
    assert pdf["Content-Type"] == "application/pdf"
    assert desk.post("/billing/batches/").status_code == 302
    batch = X12Batch.objects.get()
    download = desk.get(f"/billing/batch/{batch.pk}/837/")
    assert download["Content-Disposition"] == 'attachment; filename="837P-000000001.txt"'
    assert download.content.decode() == batch.content


def test_an_835_upload_posts_and_a_malformed_one_is_refused_on_the_page(desk, charged_visit, billing_user,
                                                                        run_jobs):
    desk.post("/billing/claims/create/")
    run_jobs()
    desk.post("/billing/batches/")
    claim = Claim.objects.get()
    content = remit_835([Paid(claim.claim_number, Decimal("152.00"), Decimal("0"), [("CO", "50", Decimal("152.00"))],
                              status="4")])
    posted = desk.post("/billing/remittances/", {"file": SimpleUploadedFile("era.835", content)})
    assert posted.status_code == 302
    denial = Denial.objects.get()
    queue = desk.get("/billing/denials/")
    assert b"CO-50: These are non-covered services because this is not deemed a &#x27;medical necessity&#x27;" \
        in queue.content
    worked = desk.post(f"/billing/denial/{denial.pk}/", {"action": "appeal", "note": "Records sent"})
    assert worked.status_code == 302
    denial.refresh_from_db()
    assert (denial.action, denial.status) == ("appeal", "appealed")
    refused = desk.post("/billing/remittances/", {"file": SimpleUploadedFile("bad.835", b"ISA*broken")})
    assert refused.status_code == 400
    assert b"segment 1 (ISA)" in refused.content


def test_the_account_page_adds_coverage_and_shows_balances(desk, charged_visit, medicare):
    patient = charged_visit.patient
    answer = desk.post(f"/billing/patient/{patient.pk}/", {
        "payer": medicare.pk, "rank": "secondary", "member_id": "1EG4TE5MK73", "relationship": "18",
    })
    assert answer.status_code == 302
    assert Coverage.objects.filter(patient=patient, rank="secondary").exists()
    page = desk.get(f"/billing/patient/{patient.pk}/")
    assert b"Medicare Part B" in page.content and b"Patient owes" in page.content


def test_set_up_saves_a_payer_and_refuses_a_bad_npi(desk, organisation):
    saved = desk.post("/billing/setup/", {"form": "payer", "name": "Blue Plan", "payer_id": "BLUE1",
                                          "claim_filing_indicator": "BL", "timely_filing_days": "180"})
    assert saved.status_code == 302
    bad = desk.post("/billing/setup/", {"form": "organisation", "name": "X", "npi": "1234567890", "tax_id": "371234567",
                                        "taxonomy": "207Q00000X", "address_line": "1 A", "city": "B", "state": "IL",
                                        "zip_code": "627011234", "phone": "2175550100", "contact_name": "C",
                                        "submitter_id": "S", "receiver_id": "R", "receiver_name": "R"})
    assert bad.status_code == 400
    assert b"The billing NPI 1234567890 is not valid" in bad.content


def test_the_him_manager_reads_aging_and_denials_but_works_nothing(client_for, users, charged_visit):
    him = client_for(users["him_manager"])
    assert him.get("/billing/aging/?as_of=2026-06-01").status_code == 200
    assert him.get("/billing/denials/").status_code == 200
    assert him.get("/billing/").status_code == 200
    assert him.get("/billing/claims/").status_code == 403
    assert him.get(f"/billing/encounter/{charged_visit.pk}/charges/").status_code == 403
    assert him.post("/billing/claims/create/").status_code == 403
    assert him.get("/billing/setup/").status_code == 403


def test_a_coder_sees_no_billing_page(client_for, users):
    coder = client_for(users["coder"])
    for path in ("/billing/", "/billing/aging/", "/billing/denials/", "/billing/remittances/"):
        assert coder.get(path).status_code == 403, path


def test_statements_page_prints_a_batch(desk, charged_visit):
    assert desk.get("/billing/statements/").status_code == 200
    answer = desk.post("/billing/statements/", follow=True)
    assert b"No patient has a balance to bill." in answer.content
