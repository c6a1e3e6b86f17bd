"""The HL7 v2 error queue at the desk: failed messages listed and filtered, one message with its field
at fault highlighted, reprocessing (as received or edited, kept as a revision), ignoring with a reason,
per role and through restricted charts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.interop.hl7v2.intake import receive_message
from chartdesk.interop.models import Hl7Attempt, Hl7Message, Hl7MessageRevision, Hl7QueueDecision
from chartdesk.interop.system_user import interface_user
from chartdesk.patients.models import Patient
from tests.interop.hl7_messages import adt
from tests.support import factories

pytestmark = pytest.mark.django_db


def send(text: str) -> Hl7Message:
    outcome = receive_message(text.encode(), acting_user=interface_user())
    return Hl7Message.objects.get(pk=outcome.stored_id)


@pytest.fixture
def analyst(db):
    return factories.make_user("him_manager")


@pytest.fixture
def nameless(db) -> Hl7Message:
    """An A04 without a family name: refused AE at PID-5."""
    return send(adt("A04", "NONAME1", family=""))


def test_a_failed_message_is_stored_with_the_field_named_in_its_error(nameless):
    assert (nameless.ack_code, nameless.error_location) == ("AE", "PID^1^5")


def test_the_queue_lists_failed_messages_newest_first_and_filters_them(client_for, analyst, nameless):
    send(adt("A04", "OK1", mrn="EXT2"))  # accepted: not in the queue
    bad_date = send(adt("A08", "BADDATE", mrn="EXT3", born="19721340"))
    assert bad_date.error_location == "PID^1^7"
    other_facility = send(adt("A04", "ELSEWHERE", family="").replace("|MERCY|CHARTDESK", "|STJOHN|CHARTDESK"))
    page = client_for(analyst)

    listing = page.get("/interop/hl7/")
    assert listing.status_code == 200
    assert [row.message.control_id for row in listing.context["rows"]] == ["ELSEWHERE", "BADDATE", "NONAME1"]
    assert b"OK1" not in listing.content

    def shown(**query: str) -> list[str]:
        response = page.get("/interop/hl7/", query)
        assert response.status_code == 200, response.content
        return [row.message.control_id for row in response.context["rows"]]

    assert shown(event="A08") == ["BADDATE"]
    assert shown(facility="stjohn") == ["ELSEWHERE"]
    assert shown(error_field="PID-5") == ["ELSEWHERE", "NONAME1"]
    assert shown(error_field="PID^1^7") == ["BADDATE"]
    assert shown(error_field="PV1") == []
    today = timezone.localdate()
    assert shown(received_from=str(today + timedelta(days=1))) == []
    assert shown(received_from=str(today), received_to=str(today)) == ["ELSEWHERE", "BADDATE", "NONAME1"]
    assert other_facility.sending_facility == "STJOHN"

    refused = page.get("/interop/hl7/", {"error_field": "the name", "received_from": "2026-13-01"})
    assert refused.status_code == 400
    assert b"PID-5 or PID^1^5" in refused.content and b"Enter a valid date" in refused.content


def test_the_queue_is_paged_by_the_desk_list_size(client_for, analyst, settings):
    settings.LIST_PAGE_SIZE = 25
    for number in range(27):
        send(adt("A04", f"N{number:02}", family=""))
    page = client_for(analyst)
    first = page.get("/interop/hl7/")
    assert len(first.context["rows"]) == 25 and first.context["listing"].page.paginator.count == 27
    second = page.get("/interop/hl7/", {"page": 2})
    assert [row.message.control_id for row in second.context["rows"]] == ["N01", "N00"]


def test_the_message_page_highlights_the_field_at_fault_and_audits_the_view(client_for, analyst, nameless):
    response = client_for(analyst).get(f"/interop/hl7/{nameless.pk}/")
    assert response.status_code == 200
    at_fault = [(row.segment, row.field_number, row.value) for row in response.context["rows"] if row.at_fault]
    assert at_fault == [("PID", 5, "^Aiko^Q")]
    assert b'data-error-field="PID-5"' in response.content
    assert ("MSH", 10, "NONAME1") in [(row.segment, row.field_number, row.value) for row in response.context["rows"]]
    assert nameless.ack_text.encode() in response.content
    view = AuditEvent.objects.filter(action="view", object_type="hl7_message").get()
    assert (view.object_id, view.user_id) == (str(nameless.pk), analyst.pk)


def test_an_empty_required_field_is_shown_and_highlighted():
    from chartdesk.interop.hl7_views import field_rows

    rows = field_rows("MSH|^~\\&|A|B\rPID|1||X^^^M\r", "PID^1^5")
    assert [(row.field_number, row.value, row.at_fault) for row in rows if row.segment == "PID"] == [
        (1, "1", False), (3, "X^^^M", False), (5, "", True)]
    assert [(row.field_number, row.value) for row in rows if row.segment == "MSH"][:2] == [(1, "|"), (2, "^~\\&")]


@pytest.mark.parametrize("role", ["registrar", "coder", "provider", "roi", "privacy_officer", "administrator"])
def test_other_roles_are_refused_the_queue_and_its_decisions(client_for, role, nameless):
    page = client_for(factories.make_user(role))
    assert page.get("/interop/hl7/").status_code == 403
    assert page.get(f"/interop/hl7/{nameless.pk}/").status_code == 403
    assert page.post(f"/interop/hl7/{nameless.pk}/reprocess/", {"text": adt("A04", "NONAME1")}).status_code == 403
    assert page.post(f"/interop/hl7/{nameless.pk}/ignore/", {"reason": "test"}).status_code == 403
    assert not Hl7Attempt.objects.exists() and not Hl7QueueDecision.objects.exists()
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.filter(object_type="hl7_message", action__in=["view", "update"]).exists()


def test_a_fixed_message_is_kept_as_a_revision_and_applied(client_for, analyst, nameless):
    received = nameless.raw
    fixed = adt("A04", "NONAME1").replace("\r", "\r\n")  # as a browser's textarea sends it
    response = client_for(analyst).post(f"/interop/hl7/{nameless.pk}/reprocess/", {"text": fixed})
    assert response.status_code == 302
    nameless.refresh_from_db()
    assert nameless.raw == received  # the message as received never changes
    revision = Hl7MessageRevision.objects.get()
    assert (revision.message_id, revision.number, revision.raw) == (nameless.pk, 1, adt("A04", "NONAME1"))
    attempt = Hl7Attempt.objects.get()
    assert (attempt.revision_id, attempt.result.ack_code, attempt.attempted_by_id) == (revision.pk, "AA", analyst.pk)
    patient = Patient.objects.get()
    assert (patient.family_name, attempt.result.patient_id) == ("Nakamura", patient.pk)
    decision = Hl7QueueDecision.objects.get()
    assert (decision.message_id, decision.resolution, decision.attempt_id) == (nameless.pk, "reprocessed", attempt.pk)
    event = AuditEvent.objects.filter(action="update", object_type="hl7_message").get()
    assert (event.user_id, event.patient_id, event.outcome) == (analyst.pk, patient.pk, "success")
    assert event.detail["decision"] == "reprocess" and event.detail["revision"] == 1
    assert client_for(analyst).get("/interop/hl7/").context["rows"] == []


def test_a_message_refused_again_stays_in_the_queue_with_its_attempt(client_for, analyst, nameless):
    page = client_for(analyst)
    response = page.post(f"/interop/hl7/{nameless.pk}/reprocess/", {"text": adt("A04", "NONAME1", born="19721340")},
                         follow=True)
    assert response.status_code == 200
    assert b"Refused again (AE, PID^1^7)" in response.content
    attempt = Hl7Attempt.objects.get()
    assert (attempt.result.ack_code, attempt.result.error_location) == ("AE", "PID^1^7")
    assert not Hl7QueueDecision.objects.exists() and not Patient.objects.exists()
    assert AuditEvent.objects.filter(action="update", object_type="hl7_message").get().outcome == "failure"
    # The failed attempt is history of the message, not a second queue entry.
    assert [row.message.pk for row in page.get("/interop/hl7/").context["rows"]] == [nameless.pk]
    # Reprocessing without an edit sends the latest revision again: same answer, no new revision.
    page.post(f"/interop/hl7/{nameless.pk}/reprocess/")
    assert Hl7MessageRevision.objects.count() == 1
    assert [each.result.ack_code for each in Hl7Attempt.objects.order_by("pk")] == ["AE", "AE"]


def test_reprocessing_as_received_applies_once_the_cause_is_fixed_and_is_idempotent(client_for, analyst):
    discharge = send(adt("A03", "DIS1", discharge="20250605120000"))  # the patient is not known yet
    assert discharge.ack_code == "AE"
    send(adt("A01", "ADM1"))  # the admission arrives late
    page = client_for(analyst)
    assert page.post(f"/interop/hl7/{discharge.pk}/reprocess/").status_code == 302
    attempt = Hl7Attempt.objects.get()
    assert (attempt.revision_id, attempt.result.ack_code, attempt.result.sha256) == (None, "AA", discharge.sha256)
    again = page.post(f"/interop/hl7/{discharge.pk}/reprocess/")
    assert again.status_code == 400
    assert b"no longer in the error queue: it was reprocessed (applied) by" in again.content
    assert Hl7Attempt.objects.count() == 1
    # The sender resending the same bytes is a repeat: nothing changes.
    assert send(adt("A03", "DIS1", discharge="20250605120000")).status == "repeated"


def test_an_empty_edit_is_refused_and_changes_nothing(client_for, analyst, nameless):
    response = client_for(analyst).post(f"/interop/hl7/{nameless.pk}/reprocess/", {"text": "  \r\n "})
    assert response.status_code == 400
    assert b"The message text is empty." in response.content
    assert not Hl7MessageRevision.objects.exists() and not Hl7Attempt.objects.exists()
    assert Hl7Message.objects.count() == 1


def test_ignoring_needs_a_reason_and_is_audited(client_for, analyst, nameless):
    page = client_for(analyst)
    refused = page.post(f"/interop/hl7/{nameless.pk}/ignore/", {"reason": "   "})
    assert refused.status_code == 400
    assert b"This field is required." in refused.content or b"Say why" in refused.content
    assert not Hl7QueueDecision.objects.exists()
    response = page.post(f"/interop/hl7/{nameless.pk}/ignore/", {"reason": "Test message sent by the vendor"})
    assert response.status_code == 302
    decision = Hl7QueueDecision.objects.get()
    assert (decision.resolution, decision.reason, decision.decided_by_id) == (
        "ignored", "Test message sent by the vendor", analyst.pk)
    event = AuditEvent.objects.filter(action="update", object_type="hl7_message").get()
    assert event.detail == {"decision": "ignore", "reason": "Test message sent by the vendor"}
    assert page.get("/interop/hl7/").context["rows"] == []
    assert page.post(f"/interop/hl7/{nameless.pk}/reprocess/").status_code == 400
    assert not Hl7Attempt.objects.exists()


def test_a_restricted_patients_message_follows_the_restricted_chart_rules(client_for, analyst):
    from chartdesk.patients.actions import do_grant_chart_access, do_set_restriction

    send(adt("A04", "REG1"))
    patient = Patient.objects.get()
    do_set_restriction(patient, restriction="vip", note="", acting_user=analyst)
    refused = send(adt("A01", "ADM2", visit="V6000", given="Aikoko"))
    assert refused.ack_code == "AE"
    colleague = factories.make_user("him_manager")
    page = client_for(colleague)
    [row] = page.get("/interop/hl7/").context["rows"]
    assert row.restricted
    assert b"Aikoko" not in page.get("/interop/hl7/").content
    opened = page.get(f"/interop/hl7/{refused.pk}/")
    assert opened.status_code == 302 and "/break-the-glass/" in opened["Location"]
    assert page.post(f"/interop/hl7/{refused.pk}/ignore/", {"reason": "x"}).status_code == 302
    assert not Hl7QueueDecision.objects.exists()
    assert AuditEvent.objects.filter(action="access_denied", user=colleague, patient_id=patient.pk).exists()
    do_grant_chart_access(patient, colleague, reason="Interface analyst", acting_user=analyst)
    allowed = page.get(f"/interop/hl7/{refused.pk}/")
    assert allowed.status_code == 200 and b"Aikoko" in allowed.content
    assert AuditEvent.objects.filter(action="view", object_type="hl7_message", user=colleague,
                                     patient_id=patient.pk).exists()


def test_the_database_refuses_to_change_a_received_message_or_a_decision(client_for, analyst, nameless):
    # The migration that added error_location rebuilt the table on SQLite: its refusal must still hold.
    from django.db import DatabaseError, transaction

    client_for(analyst).post(f"/interop/hl7/{nameless.pk}/ignore/", {"reason": "Vendor test message"})
    for rows, change in ((Hl7Message.objects.filter(pk=nameless.pk), {"raw": "changed"}),
                         (Hl7QueueDecision.objects.all(), {"reason": "changed"})):
        with pytest.raises(DatabaseError), transaction.atomic():
            rows.update(**change)
        with pytest.raises(DatabaseError), transaction.atomic():
            rows._raw_delete(rows.db)
    nameless.refresh_from_db()
    assert nameless.raw == adt("A04", "NONAME1", family="")
    assert Hl7QueueDecision.objects.get().reason == "Vendor test message"


def test_an_edit_naming_a_restricted_chart_the_analyst_may_not_open_is_refused(client_for, analyst, nameless):
    from chartdesk.patients.actions import do_set_restriction

    send(adt("A04", "REG9", mrn="EXT9009", family="Hidden"))
    hidden = Patient.objects.get()
    do_set_restriction(hidden, restriction="vip", note="", acting_user=analyst)
    colleague = factories.make_user("him_manager")
    response = client_for(colleague).post(f"/interop/hl7/{nameless.pk}/reprocess/",
                                          {"text": adt("A04", "NONAME1", mrn="EXT9009", family="Hidden")})
    assert response.status_code == 302 and "/break-the-glass/" in response["Location"]
    assert not Hl7MessageRevision.objects.exists() and not Hl7Attempt.objects.exists()
    assert AuditEvent.objects.filter(action="access_denied", user=colleague, patient_id=hidden.pk).exists()
