"""Walk the whole URL map: every view declares a permission, anonymous users are sent to log in,
and no role can reach a restricted patient's records by guessing ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from chartdesk.core.permissions import PUBLIC
from chartdesk.interop.fhir.http import BEARER_TOKEN
from tests.support import factories

RECORD_KWARGS = {
    "patient_id", "document_id", "encounter_id", "version_id", "addendum_id",
    "duplicate_id", "merge_id",
    "request_id", "packet_id", "amendment_id", "restriction_id", "accounting_id",
    "query_id",
    "claim_id", "denial_id", "held_payment_id", "batch_id", "statement_batch_id", "charge_id", "coverage_id",
    "deficiency_id", "chart_id", "scan_id", "scan_batch_id", "hold_id", "certificate_id",
    "hl7_message_id",
    "dictation_id",
    "pair_id",
    "case_id",
    "appointment_id",
    "inquiry_id",
}
# Route parameters that name no patient's record, so the restricted-chart walk below has nothing to
# look for behind them: users and API clients (administration), a completion rule, a code in the
# code sets, the step of a form, a download token, and the FHIR API's own addressing (its access
# rules are walked by tests/interop), a provider's schedule (its calendar leaves out the appointments
# of charts the user may not open: tests/schedule), and an outbound HL7 dead letter (its list and its
# resend show no patient data), training's courses, enrollments, attempts and exercises (their
# patients live in sandboxes; tests/training walks every route as a student), training's exams, exam
# sittings and items and authored exercises (no patient data), and a transcription
# document template (site-wide text, no patient's), and a page number within a scanned batch (the batch
# id beside it is walked). Every other parameter must be one of RECORD_KWARGS.
NOT_PATIENT_RECORDS = {
    "user_id", "client_id", "rule_id", "system", "code", "step", "token",
    "resource_type", "logical_id", "history_version", "job_id", "file_name", "group_id",
    "schedule_id", "outbound_id", "template_id", "page",
    "course_id", "enrollment_id", "attempt_id", "exercise_id",
    "exam_id", "sitting_id", "item_id", "authored_id",
}


def walk(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += walk(entry, prefix + str(entry.pattern))
        else:
            found.append((prefix + str(entry.pattern), entry))
    return found


def chartdesk_patterns() -> list[tuple[str, URLPattern]]:
    return [
        (route, pattern)
        for route, pattern in walk(get_resolver())
        if pattern.callback.__module__.startswith("chartdesk.") and not route.startswith("static/")
    ]


def fill(route: str, values: dict[str, Any]) -> str:
    """Turn a route like 'charts/patient/<int:patient_id>/' into a path with real ids."""
    import re

    def replace(match: re.Match[str]) -> str:
        name = match.group(2)
        return str(values.get(name, 1))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", replace, route)


def test_every_route_parameter_is_walked_as_a_patient_record_or_named_as_none():
    # Derived from the resolver: a page added with a new id in its URL fails here until the walk
    # below is given a restricted patient's record of that kind (or the id is named as no record).
    parameters = {(name, route) for route, pattern in chartdesk_patterns() for name in pattern.pattern.converters}
    assert sorted((name, route) for name, route in parameters if name not in RECORD_KWARGS | NOT_PATIENT_RECORDS) == []
    assert RECORD_KWARGS - {name for name, _ in parameters} == set()  # no stale names


def test_every_view_declares_a_permission():
    undeclared = [
        route for route, pattern in chartdesk_patterns() if not getattr(pattern.callback, "chartdesk_permission", "")
    ]
    assert undeclared == []


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page_everywhere(client):
    for route, pattern in chartdesk_patterns():
        if pattern.callback.chartdesk_permission == PUBLIC:
            continue
        path = fill(route, {})
        response = client.get(path)
        if pattern.callback.chartdesk_permission == BEARER_TOKEN:
            # The FHIR API answers programs, not people: 401 with a bearer challenge, no redirect.
            assert response.status_code == 401, path
            assert response["WWW-Authenticate"].startswith("Bearer"), path
            continue
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path


def _restricted_records() -> dict[str, Any]:
    from chartdesk.charts.actions import do_add_addendum, do_create_note, do_sign_document
    from chartdesk.charts.models import DocumentType
    from chartdesk.patients.actions import do_set_restriction
    from chartdesk.patients.merge_actions import do_merge_patients

    him = factories.make_user("him_manager")
    provider_user = factories.make_user("provider")
    provider = factories.make_provider(user=provider_user)
    secret = factories.make_patient("Vera", "Important")

    encounter = factories.make_encounter(secret, acting_user=him)
    document = do_create_note(
        secret,
        document_type=DocumentType.PROGRESS_NOTE,
        title="Visit",
        text="Confidential text",
        service_date=timezone.localdate() - timedelta(days=1),
        acting_user=provider_user,
        encounter=encounter,
        author=provider,
    )
    do_sign_document(document, acting_user=provider_user)
    addendum = do_add_addendum(document, text="Later note", acting_user=provider_user)
    disclosure_ids = _disclosure_records(secret, document)
    secret_duplicate = factories.make_patient("Vera", "Importante")
    merge = do_merge_patients(secret, secret_duplicate, reason="Same person", acting_user=him)
    deficiency = _restricted_deficiency(encounter, provider, him)  # finishes the encounter
    query = _coding_query(encounter, provider, him)
    billing_ids = _restricted_billing_records(secret, encounter, provider)
    paper_chart, scan = _restricted_paper(secret, him)
    retention_ids = _restricted_retention(secret, him)
    dictation = _restricted_dictation(secret, encounter, provider, provider_user)
    appointment = _restricted_appointment(secret, provider, him)
    overlay_case = _restricted_overlay_case(encounter, him)
    do_set_restriction(secret, restriction="vip", note="board member", acting_user=him)
    do_set_restriction(secret_duplicate, restriction="vip", note="board member", acting_user=him)
    pair = _restricted_duplicate_pair(secret, him)
    secret.refresh_from_db()
    document.refresh_from_db()
    hl7_message = _restricted_hl7_message(secret)
    return {
        "patient_id": secret.pk,
        "document_id": document.pk,
        "encounter_id": encounter.pk,
        "version_id": document.current_version_id,
        "addendum_id": addendum.pk,
        **disclosure_ids,
        "duplicate_id": secret_duplicate.pk,
        "merge_id": merge.pk,
        "query_id": query.pk,
        **billing_ids,
        "deficiency_id": deficiency.pk,
        "chart_id": paper_chart.pk,
        "scan_id": scan.pk,
        "scan_batch_id": scan.batch_id,
        **retention_ids,
        "hl7_message_id": hl7_message.pk,
        "dictation_id": dictation.pk,
        "pair_id": pair.pk,
        "appointment_id": appointment.pk,
        "case_id": overlay_case.pk,
    }


def _restricted_duplicate_pair(secret: Any, him: Any) -> Any:
    """The restricted patient and a look-alike, found by the duplicate scan (a pair in the work list)."""
    from chartdesk.patients.duplicates import do_scan_duplicates
    from chartdesk.patients.models import DuplicateCandidate

    twin = factories.make_patient("Vera", "Important", ssn="123-45-6789")
    do_scan_duplicates(acting_user=him)
    return DuplicateCandidate.objects.get(patient_low=secret, patient_high=twin)


def _restricted_overlay_case(encounter: Any, him: Any) -> Any:
    """The restricted patient's chart on the overlay list: its encounter stated another birth date."""
    from datetime import date

    from chartdesk.charts.stated import StatedPerson, do_record_stated_demographics

    _, case = do_record_stated_demographics(encounter, StatedPerson("Vera", "Important", date(1931, 2, 2), "F"),
                                            source="hl7", reference="walk", acting_user=him)
    assert case is not None
    return case


def _restricted_hl7_message(secret: Any) -> Any:
    """An admission for the restricted patient (by our MRN) that the feed was refused: in the HL7 error queue."""
    from chartdesk.interop.hl7v2.intake import receive_message
    from chartdesk.interop.models import Hl7Message
    from chartdesk.interop.system_user import interface_user
    from tests.interop.hl7_messages import adt

    text = adt("A01", "SECRET1", mrn=secret.mrn, visit="V9001", extra="PV2|||^Confidential text").replace(
        f"{secret.mrn}^^^MERCY", f"{secret.mrn}^^^CHARTDESK")
    outcome = receive_message(text.encode(), acting_user=interface_user())
    assert outcome.code == "AE"
    return Hl7Message.objects.get(pk=outcome.stored_id)


def _restricted_appointment(secret: Any, provider: Any, him: Any) -> Any:
    """A booked appointment of the restricted patient, its staff note the text the walk looks for."""
    from datetime import time

    from chartdesk.schedule.actions import (
        do_add_template_hours,
        do_book_appointment,
        do_create_clinic,
        do_create_schedule,
        do_save_visit_type,
    )

    clinic = do_create_clinic(name="Walk clinic", time_zone="America/New_York", acting_user=him)
    schedule = do_create_schedule(clinic, provider=provider, acting_user=him)
    for weekday in range(7):
        do_add_template_hours(schedule, weekday=weekday, start_time=time(9), end_time=time(12), acting_user=him)
    visit = do_save_visit_type(code="WALK", name="Follow-up", minutes=15, acting_user=him)
    return do_book_appointment(secret, schedule=schedule, visit_type=visit,
                               day=timezone.localdate() + timedelta(days=2), start_time=time(9),
                               note="Confidential text", acting_user=him)


def _restricted_dictation(secret: Any, encounter: Any, provider: Any, provider_user: Any) -> Any:
    """A dictation row of the restricted patient (made directly: the walk needs its id, not ffmpeg)."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from chartdesk.transcription.models import Dictation, QASample

    content = b"RIFF Confidential text"
    stored = default_storage.save("dictation/confidential.wav", ContentFile(content))
    now = timezone.now()
    dictation = Dictation.objects.create(
        patient=secret, encounter=encounter, document_type="34117-2", author=provider, dictated_at=now,
        due_at=now + timedelta(hours=24), audio=stored, audio_name="confidential.wav", audio_format="WAV (pcm_s16le)",
        audio_size=len(content), audio_sha256=hashlib.sha256(content).hexdigest(), duration_seconds=1.0,
        created_by=provider_user,
    )
    # Drawn for QA, so the QA review page (addressed by the dictation) has a restricted sample to refuse.
    QASample.objects.create(dictation=dictation, patient=secret, transcriptionist=provider_user, seed="walk",
                            percent=100, draw=0.0, selected=True, lines=1.0)
    return dictation


def _disclosure_records(secret: Any, document: Any) -> dict[str, int]:
    """A released request with its packet, an amendment, a restriction and an accounting request."""
    from chartdesk.disclosures.accounting import do_request_accounting
    from chartdesk.disclosures.amendments import do_request_amendment, do_request_restriction
    from tests.disclosures.helpers import release

    roi = factories.make_user("roi")
    privacy = factories.make_user("privacy_officer")
    packet = release(secret, roi, requester_type="provider", requester_name="Dr Lee", purpose="treatment")
    amendment = do_request_amendment(document, requested_change="Wrong allergy", acting_user=privacy)
    restriction = do_request_restriction(secret, kind="other", description="Not to my employer", acting_user=privacy)
    accounting = do_request_accounting(secret, acting_user=privacy)
    return {"request_id": packet.request_id, "packet_id": packet.pk, "amendment_id": amendment.pk,
            "restriction_id": restriction.pk, "accounting_id": accounting.pk}


def _coding_query(encounter: Any, provider: Any, him: Any) -> Any:
    """The (finished) encounter in coding, on hold for a query to its author."""
    from chartdesk.coding.workflow.actions import do_send_query, do_start_coding

    case = do_start_coding(encounter, acting_user=factories.make_user("coder"))
    return do_send_query(case, provider=provider, template="abnormal_finding", indicators="Confidential text",
                         acting_user=case.assigned_to)


def _restricted_billing_records(secret: Any, encounter: Any, provider: Any) -> dict[str, int]:
    """A claim of the restricted patient, sent (in an 837P batch) and denied with a share for the patient
    (on a statement), then paid twice, so its claim, denial, held payment, batch and statement batch ids
    exist."""
    from decimal import Decimal

    from chartdesk.billing.actions import (
        do_add_coverage,
        do_create_charges,
        do_create_claim,
        do_save_organisation,
        do_save_payer,
        do_set_fee,
    )
    from chartdesk.billing.export import do_export_837
    from chartdesk.billing.models import Denial, HeldPayment
    from chartdesk.billing.remittance import do_import_835
    from chartdesk.billing.schemas import CodedDiagnosis, CodedEncounter, CodedProcedure
    from chartdesk.billing.statements import do_create_statement_batch
    from tests.billing.remits import Paid, remit_835

    biller = factories.make_user("billing")
    do_save_organisation(acting_user=biller, name="Org", npi="1234567893", tax_id="371234567", taxonomy="207Q00000X",
                         address_line="1 Main", city="Town", state="IL", zip_code="627011234", phone="2175550100",
                         contact_name="Office", submitter_id="S1", receiver_id="R1", receiver_name="Clearinghouse")
    payer = do_save_payer(acting_user=biller, name="Plan", payer_id="PLAN1", claim_filing_indicator="CI")
    do_set_fee("99213", "100.00", acting_user=biller)
    do_add_coverage(secret, payer=payer, rank="primary", member_id="M1", acting_user=biller)
    do_create_charges(encounter, CodedEncounter([CodedDiagnosis("I10", principal=True)],
                                                [CodedProcedure("99213", provider=provider)]), acting_user=biller)
    claim = do_create_claim(encounter, acting_user=biller)
    batch = do_export_837(acting_user=biller)
    do_import_835(remit_835([Paid(claim.claim_number, Decimal("100.00"), Decimal("0"),
                                  [("CO", "50", Decimal("60.00")), ("PR", "1", Decimal("40.00"))], status="4")]),
                  acting_user=biller)
    statements = do_create_statement_batch(acting_user=biller)
    # Paid after the denial by two more files: more than the payer owes, so both payments are held.
    for trace in ("PAID", "PAIDAGAIN"):
        do_import_835(remit_835([Paid(claim.claim_number, Decimal("100.00"), Decimal("100.00"))], trace=trace),
                      acting_user=biller)
    from chartdesk.billing.inquiries.eligibility import do_export_270_for_patient

    inquiry = do_export_270_for_patient(secret, acting_user=biller)  # a 270 naming the restricted patient
    return {"claim_id": claim.pk, "denial_id": Denial.objects.get(claim=claim).pk, "batch_id": batch.pk,
            "statement_batch_id": statements.pk, "held_payment_id": HeldPayment.objects.filter(claim=claim).first().pk,
            "inquiry_id": inquiry.pk, "charge_id": claim.lines.first().charge_id, "coverage_id": claim.coverage_id}


def _restricted_paper(secret: Any, him: Any) -> tuple[Any, Any]:
    import io

    from pypdf import PdfWriter

    from chartdesk.filing.actions import do_create_file_room, do_create_paper_chart
    from chartdesk.filing.scanning import do_index_scanned_document, do_split_batch, do_upload_scan_batch

    room = do_create_file_room(facility="General", name="Main", filing_system="terminal-digit", acting_user=him)
    paper_chart = do_create_paper_chart(secret, file_room=room, acting_user=him)
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    pdf = io.BytesIO()
    writer.write(pdf)
    pdf.seek(0)
    batch = do_upload_scan_batch(pdf, name="batch.pdf", acting_user=him)
    [scan] = do_split_batch(batch, starts="1", acting_user=him)
    do_index_scanned_document(scan, patient=secret, document_type="34109-9", title="Confidential scan",
                              service_date=timezone.localdate(), acting_user=him)
    return paper_chart, scan


def _restricted_retention(secret: Any, him: Any) -> dict[str, int]:
    """A legal hold on the restricted patient, and the destruction certificate of another restricted
    patient's old record (destroying the first one's would empty the text the walk looks for)."""
    from chartdesk.filing.retention import do_destroy_records, do_place_legal_hold
    from chartdesk.patients.actions import do_set_restriction

    hold = do_place_legal_hold(matter="Important v. General Hospital", patients=[secret], acting_user=him)
    old = factories.make_patient("Vera", "Oldrecord")
    factories.make_encounter(old, acting_user=him, admit_at=timezone.now() - timedelta(days=30))
    certificate = do_destroy_records([old], method="shredding", witness="W. Witness", acting_user=him,
                                     as_of=timezone.localdate() + timedelta(days=365 * 40))
    do_set_restriction(old, restriction="vip", note="board member", acting_user=him)
    return {"hold_id": hold.pk, "certificate_id": certificate.pk}


def _restricted_deficiency(encounter: Any, provider: Any, him: Any) -> Any:
    from chartdesk.charts.actions import do_finish_encounter
    from chartdesk.completion.analysis import analyse_encounter
    from chartdesk.completion.models import Deficiency, DeficiencyRule

    DeficiencyRule.objects.create(code="visit-consult", name="Consult note", kind="required_document",
                                  document_type="11488-4", anchor="admission", hours_after=24)
    do_finish_encounter(encounter, acting_user=him)
    analyse_encounter(encounter)
    return Deficiency.objects.get(encounter=encounter, rule__code="visit-consult")


def _row_counts() -> dict[str, int]:
    from django.apps import apps

    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"patients", "charts", "disclosures", "coding_workflow", "billing", "completion",
                                     "filing", "transcription", "schedule"}
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "roi", "transcriptionist", "provider",
                                  "him_manager", "privacy_officer", "administrator", "front_desk",
                                  "instructor", "student"])
def test_no_role_reaches_a_restricted_patients_records_by_id(role, client_for):
    ids = _restricted_records()
    assert RECORD_KWARGS - set(ids) == set()  # every kind of record in a URL has a restricted one to try
    user = factories.make_user(role)
    client = client_for(user)
    before = _row_counts()
    for route, pattern in chartdesk_patterns():
        if not set(pattern.pattern.converters) & RECORD_KWARGS:
            continue
        path = fill(route, ids)
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if response.status_code == 302:
                # Users who may break the glass are offered that page, and nothing else.
                assert "/break-the-glass/" in response["Location"], (role, method, path)
            else:
                assert response.status_code in {403, 404, 405}, (role, method, path, response.status_code)
                assert b"Confidential text" not in response.content
    assert _row_counts() == before
