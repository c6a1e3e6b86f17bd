"""The desk pages of the chart: what each role sees and may do, and how bad input is answered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chartdesk.audit.models import AuditAction, AuditEvent
from chartdesk.charts.actions import do_add_addendum, do_correct_document, do_retract_document
from chartdesk.charts.models import Document, DocumentStatus, DocumentVersion, Encounter, EncounterStatus
from tests.charts.conftest import image_bytes, pdf_bytes, upload
from tests.support import factories


def chart(patient):
    return reverse("charts-chart", kwargs={"patient_id": patient.pk})


def page(name, **kwargs):
    return reverse(name, kwargs=kwargs)


# ----------------------------------------------------------------------------- the chart page


@pytest.mark.parametrize("role", ["registrar", "coder", "roi", "transcriptionist", "provider", "him_manager",
                                  "privacy_officer"])
def test_document_readers_see_the_banner_timeline_and_documents(role, signed, encounter, users, client_for):
    response = client_for(users[role]).get(chart(signed.patient))
    body = response.content.decode()
    assert response.status_code == 200
    assert signed.patient.mrn in body
    assert encounter.account_number in body
    assert "Day 2 progress" in body
    assert 'table class="data"' in body


def test_billing_opens_the_chart_but_reads_no_documents(signed, users, client_for):
    response = client_for(users["billing"]).get(chart(signed.patient))
    assert response.status_code == 200
    assert b"Day 2 progress" not in response.content
    assert b"Your role does not read clinical documents." in response.content


def test_the_administrator_cannot_open_a_chart(patient, users, client_for):
    assert client_for(users["administrator"]).get(chart(patient)).status_code == 403


@pytest.mark.parametrize(("role", "buttons", "absent"), [
    ("registrar", ["New encounter", "Upload"], ["New note"]),
    ("transcriptionist", ["New note", "Upload"], ["New encounter"]),
    ("provider", ["New encounter", "New note", "Upload"], []),
    ("coder", [], ["New encounter", "New note", "Upload"]),
])
def test_chart_buttons_follow_the_role(role, buttons, absent, patient, users, client_for):
    body = client_for(users[role]).get(chart(patient)).content.decode()
    for label in buttons:
        assert f">{label}</a>" in body
    for label in absent:
        assert f">{label}</a>" not in body


def test_the_document_list_filters_by_type_and_reports_a_bad_date_range(signed, users, client_for, yesterday):
    client = client_for(users["coder"])
    assert b"Day 2 progress" not in client.get(chart(signed.patient), {"document_type": "34117-2"}).content
    assert b"Day 2 progress" in client.get(chart(signed.patient), {"document_type": "11506-3"}).content
    response = client.get(chart(signed.patient), {"date_from": yesterday.isoformat(),
                                                  "date_to": (yesterday - timedelta(days=5)).isoformat()})
    assert response.status_code == 200
    assert b"The end of the date range is before its start." in response.content


def test_sorting_the_document_list_by_title(patient, author, yesterday, users, client_for):
    from chartdesk.charts.actions import do_create_note

    for title in ("Bravo note", "Alpha note"):
        do_create_note(patient, document_type="11506-3", title=title, text="x", service_date=yesterday,
                       acting_user=author)
    body = client_for(users["coder"]).get(chart(patient), {"sort": "title"}).content.decode()
    assert body.index("Alpha note") < body.index("Bravo note")
    assert 'aria-sort="ascending"' in body


def test_a_restricted_chart_offers_break_the_glass_or_answers_404(restricted_patient, users, client_for):
    response = client_for(users["provider"]).get(chart(restricted_patient))
    assert response.status_code == 302
    assert response["Location"] == (
        page("patients-break-glass", patient_id=restricted_patient.pk) + f"?next=%2Fcharts%2Fpatient%2F"
        f"{restricted_patient.pk}%2F"
    )
    assert client_for(users["coder"]).get(chart(restricted_patient)).status_code == 404


def test_an_unknown_patient_is_404(users, client_for):
    assert client_for(users["coder"]).get("/charts/patient/987654/").status_code == 404


# ----------------------------------------------------------------------------- encounters


def test_a_registrar_opens_an_encounter_from_the_desk(patient, users, client_for):
    when = (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(users["registrar"]).post(page("charts-encounter-new", patient_id=patient.pk), {
        "encounter_class": "emergency", "admit_at": when, "service": "Emergency medicine", "reason": "Chest pain",
    })
    encounter = Encounter.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page("charts-encounter", encounter_id=encounter.pk)
    assert (encounter.encounter_class, encounter.reason) == ("emergency", "Chest pain")


def test_an_encounter_admitted_tomorrow_is_refused_with_a_message(patient, users, client_for):
    when = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(users["registrar"]).post(page("charts-encounter-new", patient_id=patient.pk), {
        "encounter_class": "inpatient", "admit_at": when,
    })
    assert response.status_code == 400
    assert b"is in the future." in response.content
    assert Encounter.objects.count() == 0


def test_a_coder_cannot_open_an_encounter(patient, users, client_for):
    response = client_for(users["coder"]).post(page("charts-encounter-new", patient_id=patient.pk), {
        "encounter_class": "inpatient", "admit_at": "2024-01-01T10:00"})
    assert response.status_code == 403
    assert Encounter.objects.count() == 0


def test_discharging_before_admission_is_refused_on_the_encounter_page(encounter, users, client_for):
    before = timezone.localtime(encounter.admit_at - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(users["registrar"]).post(page("charts-encounter-discharge", encounter_id=encounter.pk),
                                                   {"discharge_at": before, "disposition": "01"})
    assert response.status_code == 400
    assert b"is not after the admission time" in response.content
    encounter.refresh_from_db()
    assert encounter.status == EncounterStatus.IN_PROGRESS


def test_a_registrar_discharges_a_stay(encounter, users, client_for):
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client_for(users["registrar"]).post(page("charts-encounter-discharge", encounter_id=encounter.pk),
                                                   {"discharge_at": now, "disposition": "06"})
    assert response.status_code == 302
    encounter.refresh_from_db()
    assert (encounter.status, encounter.discharge_disposition) == (EncounterStatus.FINISHED, "06")


def test_the_encounter_page_lists_its_documents_and_care_team(signed, encounter, author, users, client_for):
    from chartdesk.charts.actions import do_add_care_team_member

    do_add_care_team_member(encounter, author.provider, "attending", acting_user=users["registrar"])
    body = client_for(users["coder"]).get(page("charts-encounter", encounter_id=encounter.pk)).content.decode()
    assert "Day 2 progress" in body
    assert "Ada Lovelace, MD · Attending" in body
    assert "Discharge</h2>" not in body  # coders do not discharge


# ----------------------------------------------------------------------------- notes and uploads


def test_a_provider_writes_a_note_from_the_desk(patient, author, yesterday, client_for):
    response = client_for(author).post(page("charts-note-new", patient_id=patient.pk), {
        "document_type": "11488-4", "title": "Renal consult", "service_date": yesterday.isoformat(),
        "author": author.provider.pk, "text": "Creatinine rising.",
    })
    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page("charts-document", document_id=document.pk)
    assert document.current_version.text == "Creatinine rising."


def test_a_note_dated_tomorrow_is_refused_with_a_message(patient, author, client_for):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client_for(author).post(page("charts-note-new", patient_id=patient.pk), {
        "document_type": "11488-4", "title": "Consult", "service_date": tomorrow.isoformat(), "text": "x",
    })
    assert response.status_code == 400
    assert f"The service date {tomorrow.isoformat()} is after today.".encode() in response.content
    assert Document.objects.count() == 0


def test_a_registrar_uploads_a_pdf_from_the_desk(patient, users, yesterday, client_for):
    response = client_for(users["registrar"]).post(page("charts-upload", patient_id=patient.pk), {
        "upload": upload("outside.pdf", pdf_bytes(), "application/pdf"), "document_type": "34109-9",
        "title": "Outside records", "service_date": yesterday.isoformat(),
    })
    assert response.status_code == 302
    assert Document.objects.get().current_version.page_count == 2


@pytest.mark.parametrize(("name", "content", "message"), [
    ("scan.pdf", image_bytes("PNG"), b"is named as a PDF document but its content is a PNG image"),
    ("empty.pdf", b"", b"The submitted file is empty."),
])
def test_a_bad_upload_is_answered_with_its_message_and_saves_nothing(
    name, content, message, patient, users, yesterday, client_for, _isolated_data_dir
):
    response = client_for(users["registrar"]).post(page("charts-upload", patient_id=patient.pk), {
        "upload": upload(name, content, "application/pdf"), "document_type": "34109-9", "title": "Scan",
        "service_date": yesterday.isoformat(),
    })
    assert response.status_code == 400
    assert message in response.content
    assert b"Nothing was saved." in response.content
    assert Document.objects.count() == 0
    assert [path for path in _isolated_data_dir.rglob("*") if path.is_file()] == []


def test_a_coder_cannot_upload(patient, users, yesterday, client_for):
    response = client_for(users["coder"]).post(page("charts-upload", patient_id=patient.pk), {
        "upload": upload("a.pdf", pdf_bytes()), "document_type": "34109-9", "title": "x",
        "service_date": yesterday.isoformat()})
    assert response.status_code == 403
    assert Document.objects.count() == 0


# ----------------------------------------------------------------------------- the viewer and its file


def test_the_viewer_shows_text_signature_versions_and_a_diff(signed, author, client_for):
    do_correct_document(signed, reason="Antibiotic named", acting_user=author, expected_revision=signed.revision,
                        text="Afebrile.\nAmbulating.\nPlan: continue ceftriaxone.")
    body = client_for(author).get(page("charts-document", document_id=signed.pk)).content.decode()
    assert "Plan: continue ceftriaxone." in body
    assert "Electronically signed by Ada Lovelace, MD on " in body
    assert "Antibiotic named" in body
    assert "<del>− Plan: continue antibiotics.</del>" in body
    assert "<ins>+ Plan: continue ceftriaxone.</ins>" in body


def test_an_earlier_version_stays_readable_in_the_viewer(signed, author, client_for):
    do_correct_document(signed, reason="Rewrite", acting_user=author, expected_revision=signed.revision,
                        text="New text")
    body = client_for(author).get(page("charts-document", document_id=signed.pk), {"version": 1}).content.decode()
    assert "You are reading an earlier version." in body
    assert "Plan: continue antibiotics." in body


def test_a_retracted_document_is_struck_out_with_its_reason_for_authorised_roles(signed, users, client_for):
    do_retract_document(signed, reason="Filed on the wrong patient", acting_user=users["registrar"])
    body = client_for(users["him_manager"]).get(page("charts-document", document_id=signed.pk)).content.decode()
    assert "Entered in error</strong>" in body
    assert "Filed on the wrong patient" in body
    assert 'class="card retracted"' in body
    assert client_for(users["coder"]).get(page("charts-document", document_id=signed.pk)).status_code == 404


def test_the_file_is_served_inline_verified_and_not_sniffed(patient, users, yesterday, client_for):
    from chartdesk.charts.actions import do_upload_document

    document = do_upload_document(patient, upload=upload("page.png", image_bytes("PNG")), document_type="34109-9",
                                  title="Scan", service_date=yesterday, acting_user=users["registrar"])
    client = client_for(users["roi"])
    viewer = client.get(page("charts-document", document_id=document.pk)).content.decode()
    file_url = page("charts-document-file", version_id=document.current_version_id)
    assert f'<img class="document-image" src="{file_url}"' in viewer

    response = client.get(file_url)
    assert response.status_code == 200
    assert response.content == image_bytes("PNG")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="page.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert AuditEvent.objects.filter(action=AuditAction.DOWNLOAD).count() == 1


def test_a_pdf_is_embedded_in_the_viewer(patient, users, yesterday, client_for):
    from chartdesk.charts.actions import do_upload_document

    document = do_upload_document(patient, upload=upload("a.pdf", pdf_bytes()), document_type="34109-9",
                                  title="Scan", service_date=yesterday, acting_user=users["registrar"])
    body = client_for(users["roi"]).get(page("charts-document", document_id=document.pk)).content.decode()
    file_url = page("charts-document-file", version_id=document.current_version_id)
    assert f'<object class="document-frame" data="{file_url}" type="application/pdf"' in body


def test_a_tampered_file_is_not_served(patient, users, yesterday, client_for, _isolated_data_dir):
    from chartdesk.charts.actions import do_upload_document

    document = do_upload_document(patient, upload=upload("a.pdf", pdf_bytes()), document_type="34109-9",
                                  title="Scan", service_date=yesterday, acting_user=users["registrar"])
    (_isolated_data_dir / document.current_version.file.name).write_bytes(b"%PDF-1.4 forged")
    response = client_for(users["roi"]).get(page("charts-document-file", version_id=document.current_version_id))
    assert response.status_code == 409
    assert b"the stored file does not match its checksum" in response.content
    assert b"forged" not in response.content
    assert AuditEvent.objects.filter(action=AuditAction.INTEGRITY).count() == 1


# ----------------------------------------------------------------------------- changing a document


def test_signing_shows_the_attestation_and_needs_confirmation(draft, author, client_for):
    client = client_for(author)
    url = page("charts-document-sign", document_id=draft.pk)
    assert b"Electronically signed by Ada Lovelace, MD on " in client.get(url).content

    unconfirmed = client.post(url, {"revision": draft.revision})
    assert unconfirmed.status_code == 400
    assert b"Tick the box to confirm you are signing this document." in unconfirmed.content
    assert not DocumentVersion.objects.get(document=draft).is_signed

    confirmed = client.post(url, {"revision": draft.revision, "confirm": "on"})
    assert confirmed.status_code == 302
    draft.refresh_from_db()
    assert draft.status == DocumentStatus.FINAL


def test_a_stale_revision_answers_409_and_asks_for_a_reload(draft, author, users, client_for):
    from chartdesk.charts.actions import do_edit_draft

    do_edit_draft(draft, text="Edited by someone else", acting_user=users["transcriptionist"], expected_revision=1)
    response = client_for(author).post(page("charts-document-edit", document_id=draft.pk),
                                       {"revision": 1, "text": "My edit"})
    assert response.status_code == 409
    assert b"changed by someone else since you opened it; reload it and try again." in response.content
    assert DocumentVersion.objects.filter(document=draft).count() == 2


def test_a_signer_who_is_not_the_author_gets_403(draft, other_provider, client_for):
    response = client_for(other_provider).post(page("charts-document-sign", document_id=draft.pk),
                                               {"revision": draft.revision, "confirm": "on"})
    assert response.status_code == 403
    assert b"Only the author, Ada Lovelace, MD, can sign this document." in response.content


@pytest.mark.parametrize(("role", "view", "status"), [
    ("coder", "charts-document-sign", 403),
    ("coder", "charts-document-edit", 403),
    ("coder", "charts-document-correct", 403),
    ("coder", "charts-document-addendum", 403),
    ("coder", "charts-document-retract", 403),
    ("registrar", "charts-document-retract", 200),
    ("transcriptionist", "charts-document-correct", 200),
    ("provider", "charts-document-addendum", 200),
])
def test_change_pages_open_only_for_their_permission(role, view, status, signed, users, client_for):
    assert client_for(users[role]).get(page(view, document_id=signed.pk)).status_code == status


def test_a_correction_from_the_desk_keeps_the_old_version(signed, author, client_for):
    response = client_for(author).post(page("charts-document-correct", document_id=signed.pk), {
        "revision": signed.revision, "reason": "Wrong plan", "text": "Plan: discharge home.", "sign": "on"})
    assert response.status_code == 302
    assert list(DocumentVersion.objects.filter(document=signed).values_list("number", "change_reason")) == [
        (1, ""), (2, "Wrong plan")]


def test_a_correction_without_a_reason_is_refused(signed, author, client_for):
    response = client_for(author).post(page("charts-document-correct", document_id=signed.pk),
                                       {"revision": signed.revision, "reason": "", "text": "Changed"})
    assert response.status_code == 400
    assert DocumentVersion.objects.filter(document=signed).count() == 1


def test_an_addendum_from_the_desk_and_signing_it_later(signed, author, client_for):
    client = client_for(author)
    client.post(page("charts-document-addendum", document_id=signed.pk),
                {"revision": signed.revision, "text": "Culture pending."})
    addendum = signed.addenda.get()
    assert not addendum.is_signed  # the box was left unticked
    assert client.post(page("charts-addendum-sign", addendum_id=addendum.pk)).status_code == 400  # no attestation
    signed.refresh_from_db()
    response = client.post(page("charts-addendum-sign", addendum_id=addendum.pk),
                           {"revision": signed.revision, "confirm": "on"})
    assert response.status_code == 302
    addendum.refresh_from_db()
    assert addendum.is_signed


def test_retracting_from_the_desk(signed, users, client_for):
    response = client_for(users["registrar"]).post(page("charts-document-retract", document_id=signed.pk), {
        "revision": signed.revision, "reason": "Wrong patient", "confirm": "on"})
    assert response.status_code == 302
    signed.refresh_from_db()
    assert (signed.status, signed.retraction_reason) == (DocumentStatus.ENTERED_IN_ERROR, "Wrong patient")


def test_a_document_of_a_restricted_patient_is_404_for_a_coder_and_nothing_changes(
    restricted_patient, users, client_for, yesterday
):
    from chartdesk.charts.actions import do_create_note, do_sign_document
    from chartdesk.patients.actions import do_grant_chart_access
    from tests.charts.conftest import fresh

    writer = factories.make_user("provider")
    factories.make_provider("Lise", "Meitner", user=writer, npi="1679576722")
    do_grant_chart_access(restricted_patient, writer, reason="attending", acting_user=users["privacy_officer"])
    writer = fresh(writer)
    document = do_sign_document(do_create_note(restricted_patient, document_type="11506-3", title="Visit",
                                               text="Confidential text", service_date=yesterday, acting_user=writer),
                                acting_user=writer)
    do_add_addendum(document, text="More", acting_user=writer)
    document.refresh_from_db()
    for role in ("coder", "registrar", "roi"):
        client = client_for(users[role])
        for name in ("charts-document", "charts-document-retract", "charts-document-sign"):
            response = client.get(page(name, document_id=document.pk))
            assert response.status_code in (403, 404)
            assert b"Confidential text" not in response.content
        response = client.post(page("charts-document-retract", document_id=document.pk),
                               {"revision": document.revision, "reason": "x", "confirm": "on"})
        assert response.status_code in (403, 404)
    document.refresh_from_db()
    assert document.status == DocumentStatus.FINAL
