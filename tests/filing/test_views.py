"""The file-room desk pages: every page works for the roles that hold it and refuses the others."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from chartdesk.filing.models import ChartStatus, PaperChart, ScannedDocument, ScanStatus
from tests.filing.scans import pdf_batch, upload
from tests.support import factories


def test_a_clerk_checks_a_chart_out_prints_the_out_guide_and_checks_it_in_by_barcode(chart, users, client_for):
    client = client_for(users["registrar"])
    page = client.get(f"/filing/chart/{chart.pk}/")
    assert page.status_code == 200 and chart.barcode.encode() in page.content
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(f"/filing/chart/{chart.pk}/", {"action": "check_out", "out-borrower": "Dr. Who",
                                                          "out-purpose": "Clinic visit", "out-due_on": due})
    assert response.status_code == 302
    guide = client.get(f"/filing/chart/{chart.pk}/out-guide.pdf")
    assert guide["Content-Type"] == "application/pdf" and guide.content.startswith(b"%PDF")
    checked_in = client.post("/filing/", {"barcode": chart.barcode})
    assert checked_in.status_code == 302
    assert PaperChart.objects.get(pk=chart.pk).status == ChartStatus.IN_FILE


def test_a_check_out_without_purpose_names_the_field_and_changes_nothing(chart, users, client_for):
    response = client_for(users["registrar"]).post(
        f"/filing/chart/{chart.pk}/", {"action": "check_out", "out-borrower": "Dr. Who", "out-due_on": "2099-01-01"})
    assert response.status_code == 400
    assert b"This field is required" in response.content
    assert PaperChart.objects.get(pk=chart.pk).status == ChartStatus.IN_FILE


def test_an_unknown_barcode_is_named(users, client_for):
    response = client_for(users["registrar"]).post("/filing/", {"barcode": "C000V01"})
    assert response.status_code == 400
    assert b"No paper chart has the barcode C000V01" in response.content


def test_lists_labels_and_pick_list_render(chart, users, client_for, patient):
    client = client_for(users["registrar"])
    tomorrow = timezone.localdate() + timedelta(days=1)
    client.post(f"/filing/patient/{patient.pk}/", {"action": "visit", "visit-expected_on": tomorrow.isoformat(),
                                                   "visit-kind": "appointment", "visit-clinic": "Cardiology"})
    picks = client.get("/filing/pick-list/")
    assert picks.status_code == 200 and chart.barcode.encode() in picks.content
    assert client.get("/filing/pick-list/?labels=1").content.startswith(b"%PDF")
    assert client.get(f"/filing/chart/{chart.pk}/label.pdf").content.startswith(b"%PDF")
    for path in ("/filing/overdue/", "/filing/missing/", "/filing/expected-visits/import/", "/filing/scanning/"):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("role", ["coder", "billing", "provider"])
def test_roles_without_filing_permissions_are_refused(role, users, client_for):
    client = client_for(users[role])
    for path in ("/filing/", "/filing/pick-list/", "/filing/scanning/", "/filing/retention/"):
        assert client.get(path).status_code == 403, path


def test_the_registrar_cannot_open_retention(users, client_for):
    assert client_for(users["registrar"]).get("/filing/retention/").status_code == 403


def test_scanning_through_the_desk_upload_index_and_a_second_persons_approval(users, patient, client_for):
    clerk, checker = users["registrar"], factories.make_user("registrar")
    response = client_for(clerk).post("/filing/scanning/", {
        "upload": upload("batch.pdf", pdf_batch("SEP", "consent form")), "expected_pages": "2"})
    assert response.status_code == 302
    scan = ScannedDocument.objects.get()
    search = client_for(clerk).get(f"/filing/scanning/pages/{scan.pk}/?q={patient.family_name}")
    assert patient.mrn.encode() in search.content
    indexed = client_for(clerk).post(f"/filing/scanning/pages/{scan.pk}/", {
        "action": "index", "index-mrn": patient.mrn, "index-document_type": "59284-0", "index-title": "Consent",
        "index-service_date": (timezone.localdate() - timedelta(days=1)).isoformat()})
    assert indexed.status_code == 302
    assert client_for(clerk).post(f"/filing/scanning/pages/{scan.pk}/", {"action": "approve"}).status_code == 403
    assert client_for(checker).post(f"/filing/scanning/pages/{scan.pk}/", {"action": "approve"}).status_code == 302
    assert ScannedDocument.objects.get().status == ScanStatus.APPROVED


def test_a_batch_with_the_wrong_page_count_is_refused_on_the_desk(users, client_for):
    response = client_for(users["registrar"]).post("/filing/scanning/", {
        "upload": upload("batch.pdf", pdf_batch("a", "b")), "expected_pages": "3"})
    assert response.status_code == 400
    assert b"holds 2 pages but 3 were fed into the scanner" in response.content


def test_him_places_a_hold_and_sees_the_due_report(users, client_for, patient):
    client = client_for(users["him_manager"])
    response = client.post("/filing/retention/holds/new/", {"matter": "Doe v. Clinic", "mrns": patient.mrn})
    assert response.status_code == 302
    bad = client.post("/filing/retention/holds/new/", {"matter": "X", "mrns": "12345678"})
    assert b"Line 1: no patient has the MRN 12345678" in bad.content
    page = client.get(f"/filing/retention/?as_of={date(2099, 1, 1).isoformat()}")
    assert page.status_code == 200


def test_any_patients_paper_page_works(users, client_for, patient, file_room: Any):
    client = client_for(users["registrar"])
    response = client.post(f"/filing/patient/{patient.pk}/", {"action": "volume", "volume-file_room": file_room.pk})
    assert response.status_code == 302
    assert PaperChart.objects.filter(patient=patient).count() == 1


def test_him_sets_up_a_file_room_a_location_and_changes_its_system(users, client_for):
    from chartdesk.filing.models import FileRoom, StorageLocation

    client = client_for(users["him_manager"])
    assert client.post("/filing/rooms/", {"action": "room", "room-facility": "North Clinic", "room-name": "Records",
                                          "room-filing_system": "middle-digit"}).status_code == 302
    room = FileRoom.objects.get(facility="North Clinic")
    added = client.post("/filing/rooms/", {"action": "location", "location-file_room": room.pk,
                                           "location-kind": "off_site_box", "location-code": "box-17"})
    assert added.status_code == 302
    assert StorageLocation.objects.get(file_room=room).code == "BOX-17"
    assert client.post("/filing/rooms/", {"action": "system", "room": room.pk,
                                          "filing_system": "alphabetic"}).status_code == 302
    assert FileRoom.objects.get(pk=room.pk).filing_system == "alphabetic"
    assert client_for(users["registrar"]).get("/filing/rooms/").status_code == 403
