"""The listener's group is one durable commit: the messages, their audit events (one step of the chain
for the whole group) and the follow-up row that names what the group owes chart completion and the
FHIR versions. The follow-up itself is done after the ACKs have gone, several groups at once.

The test's own transaction never commits, so work left to after the commit (on_commit) would never
run here: what is found was done inside the group, or by settling the follow-ups."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chartdesk.audit.models import AuditAction, AuditEvent
from chartdesk.audit.verify import verify_chain
from chartdesk.charts.models import Encounter
from chartdesk.completion.models import ChartCompletion
from chartdesk.interop.hl7v2 import listener as listener_module
from chartdesk.interop.hl7v2.client import ack_code
from chartdesk.interop.hl7v2.follow_up import settle_follow_ups
from chartdesk.interop.hl7v2.listener import MllpServer
from chartdesk.interop.models import Hl7FollowUp, Hl7Message, Hl7Status, ResourceVersion
from chartdesk.interop.system_user import interface_user
from chartdesk.patients.models import Patient, PatientIdentifier
from tests.interop.hl7_messages import adt

pytestmark = pytest.mark.django_db

GIVEN = ("Aiko", "Ben", "Chiara", "Dmitri", "Esi", "Farid", "Greta", "Hamid", "Ines", "Jonas")
FAMILY = ("Abbott", "Brennan", "Castillo", "Delacroix", "Eriksen", "Fontaine", "Gallagher", "Hartmann",
          "Iwasaki", "Jovanovic")


def receive_group(messages: list[str]) -> list[str]:
    with ThreadPoolExecutor(max_workers=1) as unused:
        server = MllpServer(interface_user(), port=0, database=unused)
        answers = server._receive_group([message.encode() for message in messages])
    return [answer[1:-2].decode() for answer in answers]


def registration(number: int, *, extra: str = "") -> str:
    """An A04 for a person of its own: name, birth date, identifier and visit differ from every other."""
    return adt("A04", f"R{number}", mrn=f"EXT{3000 + number}", family=FAMILY[number % 10] + FAMILY[number // 10 % 10],
               given=GIVEN[number // 10 % 10], born=f"19{40 + number:02d}{1 + number % 12:02d}{1 + number % 27:02d}",
               visit=f"V{6000 + number}", patient_class="O", extra=extra)


def test_a_group_acknowledges_before_its_follow_up_which_commits_with_it():
    interface_user()
    answers = receive_group([adt("A01", "G1"), adt("A03", "G2", discharge="20250602100000")])

    assert [ack_code(answer) for answer in answers] == ["AA", "AA"]
    encounter = Encounter.objects.get()
    follow_up = Hl7FollowUp.objects.get()  # written in the group's transaction: it commits with the messages
    # (the queues are per thread: earlier work rolled back on this thread may have left ids in them)
    assert encounter.pk in follow_up.encounter_ids and follow_up.done_at is None
    assert ["Encounter", encounter.pk] in follow_up.resource_keys
    assert not ChartCompletion.objects.exists()  # not yet: the ACKs did not wait for it

    assert settle_follow_ups(acting_user=interface_user()) == 1

    assert ChartCompletion.objects.filter(encounter=encounter).exists()  # analysed: the visit is discharged
    assert ResourceVersion.objects.filter(resource_type="Encounter", logical_id=str(encounter.pk)).exists()
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None
    assert settle_follow_ups(acting_user=interface_user()) == 0  # done once


def test_follow_ups_of_several_groups_are_settled_together():
    interface_user()
    receive_group([adt("A01", "S1")])
    receive_group([adt("A03", "S2", discharge="20250602100000")])
    receive_group([adt("A01", "S3", mrn="EXT2002", family="Sato", given="Ken", born="19600101", sex="M",
                       visit="V5002")])

    assert Hl7FollowUp.objects.filter(done_at__isnull=True).count() == 3
    assert settle_follow_ups(acting_user=interface_user()) == 3
    assert list(ChartCompletion.objects.values_list("encounter__account_number", flat=True)) == ["V5001"]
    assert not Hl7FollowUp.objects.filter(done_at__isnull=True).exists()


def test_a_group_whose_follow_up_cannot_be_recorded_is_refused_whole(monkeypatch):
    """No ACK without its follow-up: when the row cannot be written the group does not commit, and every
    message is answered AR (resend), with nothing of it kept."""
    interface_user()

    def broken() -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("chartdesk.interop.hl7v2.follow_up.queue_follow_up", broken)
    answers = receive_group([adt("A01", "F1"), adt("A03", "F2", discharge="20250602100000")])

    assert [ack_code(answer) for answer in answers] == ["AR", "AR"]
    assert "resend it later" in answers[0]
    assert not Hl7Message.objects.exists() and not Patient.objects.exists() and not Encounter.objects.exists()
    assert not AuditEvent.objects.filter(channel="hl7").exists()
    assert listener_module  # the listener imports queue_follow_up at call time, so the patch reached it


def test_one_bad_message_in_a_group_of_fifty_leaves_the_others_applied_and_names_its_field():
    interface_user()
    messages = [registration(number) for number in range(50)]
    # The 24th registers its person and opens the visit before its DG1's date fails: both are undone.
    messages[23] = registration(23, extra="DG1|1||I10^Essential hypertension^I10||2025130199|A")
    before = AuditEvent.objects.count()

    answers = receive_group(messages)

    codes = [ack_code(answer) for answer in answers]
    assert codes.count("AA") == 49 and codes[23] == "AE"
    assert "ERR||DG1^1^5|" in answers[23]
    refused = Hl7Message.objects.get(control_id="R23")
    assert (refused.status, refused.ack_code, refused.error_location) == (Hl7Status.ERROR, "AE", "DG1^1^5")
    assert not PatientIdentifier.objects.filter(value="EXT3023").exists()
    assert Patient.objects.count() == 49 and Encounter.objects.count() == 49
    assert Hl7Message.objects.filter(status=Hl7Status.ACCEPTED).count() == 49

    # Every applied message keeps its events (the registration and the visit), none of the refused
    # one's survived its rollback, and the group's events joined the chain in order, intact.
    created = AuditEvent.objects.filter(sequence__gt=before, action=AuditAction.CREATE)
    for patient in Patient.objects.all():
        kinds = set(created.filter(patient_id=patient.pk).values_list("object_type", flat=True))
        assert {"patient", "encounter"} <= kinds, patient.mrn
    known = set(Patient.objects.values_list("pk", flat=True))
    assert set(AuditEvent.objects.filter(sequence__gt=before).exclude(patient_id=None)
               .values_list("patient_id", flat=True)) <= known
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))
    assert verify_chain().intact


def test_a_group_writes_its_audit_events_with_one_step_of_the_chain():
    interface_user()
    messages = [registration(number) for number in range(8)]

    with CaptureQueriesContext(connection) as captured:
        receive_group(messages)

    head_updates = [query for query in captured.captured_queries
                    if query["sql"].startswith('UPDATE "audit_chainhead"')]
    assert len(head_updates) == 1
    assert AuditEvent.objects.filter(channel="hl7", object_type="patient", action=AuditAction.CREATE).count() == 8
    assert verify_chain().intact


def test_a_message_that_fails_with_a_fault_of_ours_is_rolled_back_alone(monkeypatch):
    """A bug half-way through a message (after it registered its person): that message gets AR and
    leaves nothing; the messages around it in the group commit."""
    from chartdesk.interop.hl7v2 import intake

    interface_user()
    real_apply = intake.APPLIERS["ADT"]

    def apply_then_fail(message, acting_user):
        applied = real_apply(message, acting_user)
        if message.control_id == "R1":
            raise RuntimeError("a fault after the writes")
        return applied

    monkeypatch.setitem(intake.APPLIERS, "ADT", apply_then_fail)
    answers = receive_group([registration(0), registration(1), registration(2)])

    assert [ack_code(answer) for answer in answers] == ["AA", "AR", "AA"]
    assert sorted(PatientIdentifier.objects.values_list("value", flat=True)) == ["EXT3000", "EXT3002"]
    assert not Hl7Message.objects.filter(control_id="R1").exists()  # AR: the sender is to send it again
    assert verify_chain().intact
