"""Outbound ADT: registrations, updates and merges queued in the transaction of the change, sent by
`chartdesk hl7 send-outbound` to an MLLP listener this test starts on loopback (accepting, refusing
with AE or AR, never answering, or not listening at all), retried with backoff, dead letters on the
desk with their audited resend."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.interop.hl7v2.listener import MllpServer
from chartdesk.interop.hl7v2.mllp import MllpFramer, frame
from chartdesk.interop.models import Hl7Destination, Hl7Outbound
from chartdesk.interop.system_user import interface_user
from chartdesk.patients.actions import do_update_demographics
from chartdesk.patients.merge_actions import do_merge_patients
from tests.interop.hl7_messages import adt
from tests.support import factories

pytestmark = pytest.mark.django_db


def ack(code: str, message: str) -> bytes:
    control_id = message.split("\r")[0].split("|")[9]
    return frame(f"MSH|^~\\&|DOWNSTREAM|LAB|CHARTDESK|HIM|20250601||ACK^A01^ACK|K1|P|2.5.1\r"
                 f"MSA|{code}|{control_id}|{'fine' if code == 'AA' else 'no such ward'}\r")


class Listener:
    """An MLLP listener on loopback: `answer(message)` gives the bytes to send back, or None to say
    nothing (the sender times out). Every message received is kept in `received`."""

    def __init__(self, answer: Callable[[str], bytes | None]) -> None:
        self.answer = answer
        self.received: list[str] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.server.settimeout(0.2)
        while not self.stopping:
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            with connection:
                framer = MllpFramer()
                connection.settimeout(5)
                try:
                    while data := connection.recv(65536):
                        for item in framer.feed(data):
                            if isinstance(item, bytes):
                                text = item.decode()
                                self.received.append(text)
                                reply = self.answer(text)
                                if reply is not None:
                                    connection.sendall(reply)
                except OSError:
                    continue

    def close(self) -> None:
        self.stopping = True
        self.thread.join(timeout=5)
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Callable[[Callable[[str], bytes | None]], Listener]]:
    started: list[Listener] = []

    def start(answer: Callable[[str], bytes | None]) -> Listener:
        started.append(Listener(answer))
        return started[-1]

    yield start
    for each in started:
        each.close()


@pytest.fixture
def admin(db):
    return factories.make_user("administrator")


def destination(admin, port: int, *, events: str = "") -> Hl7Destination:
    out = io.StringIO()
    call_command("hl7", "destination", "downstream", "--host", "127.0.0.1", "--port", str(port), "--by",
                 admin.username, *(["--events", events] if events else []), stdout=out)
    return Hl7Destination.objects.get(name="downstream")


def send_outbound() -> str:
    out = io.StringIO()
    call_command("hl7", "send-outbound", stdout=out)
    return out.getvalue()


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def test_a_registration_is_sent_and_its_ack_read_back(admin, listener):
    downstream = listener(lambda message: ack("AA", message))
    destination(admin, downstream.port)

    patient = factories.make_patient("Aiko", "Nakamura")
    queued = Hl7Outbound.objects.get()
    assert (queued.event, queued.patient_id, queued.status) == ("A28", patient.pk, "pending")

    printed = send_outbound()

    assert "1 sent, 0 to try again, 0 dead letter(s)" in printed
    queued.refresh_from_db()
    assert (queued.status, queued.ack_code, queued.attempts) == ("sent", "AA", 1)
    segments = downstream.received[0].split("\r")
    assert segments[0].split("|")[8] == "ADT^A28^ADT_A05"
    assert segments[0].split("|")[9] == queued.control_id
    assert segments[2].startswith(f"PID|1||{patient.mrn}^^^CHARTDESK^MR||Nakamura^Aiko")
    event = AuditEvent.objects.filter(object_type="hl7_outbound").get()
    assert (event.action, event.patient_id, event.detail["destination"]) == ("export", patient.pk, "downstream")
    assert send_outbound().startswith("0 sent")  # nothing is sent twice


def test_a_change_rolled_back_takes_its_notification_with_it(admin):
    destination(admin, closed_port())

    with pytest.raises(RuntimeError), transaction.atomic():
        factories.make_patient("Aiko", "Nakamura")
        raise RuntimeError("the caller's transaction fails after the registration")

    assert not Hl7Outbound.objects.exists()


def test_visits_updates_and_merges_are_told_as_a04_a31_and_a40(admin, users):
    destination(admin, closed_port())
    him = users["him_manager"]
    survivor, duplicate = factories.make_patient("Aiko", "Nakamura"), factories.make_patient("Aiko", "Nakamura")
    encounter = factories.make_encounter(survivor, acting_user=him)
    do_update_demographics(survivor, {"preferred_name": "Ai"}, expected_revision=survivor.revision, acting_user=him)
    survivor.refresh_from_db()
    do_merge_patients(survivor, duplicate, reason="Same person", acting_user=him)

    events = list(Hl7Outbound.objects.values_list("event", flat=True))
    assert events == ["A28", "A28", "A04", "A31", "A40"]
    visit = Hl7Outbound.objects.get(event="A04").message.split("\r")
    assert visit[3].split("|")[19] == encounter.account_number
    merge = Hl7Outbound.objects.get(event="A40").message.split("\r")
    assert merge[2].startswith(f"PID|1||{survivor.mrn}^^^CHARTDESK^MR")
    assert merge[3] == f"MRG|{duplicate.mrn}^^^CHARTDESK^MR"


def test_a_destination_gets_only_the_events_it_takes(admin):
    destination(admin, closed_port(), events="A40")

    factories.make_patient("Aiko", "Nakamura")

    assert not Hl7Outbound.objects.exists()


def test_ae_makes_a_dead_letter_at_once_and_resend_from_the_desk_delivers_it(admin, listener, users, client_for):
    answers = {"code": "AE"}
    downstream = listener(lambda message: ack(answers["code"], message))
    destination(admin, downstream.port)
    factories.make_patient("Aiko", "Nakamura")

    assert "1 dead letter(s)" in send_outbound()
    dead = Hl7Outbound.objects.get()
    assert (dead.status, dead.attempts, dead.last_error) == ("dead", 1, "AE: no such ward")
    him = client_for(users["him_manager"])
    page = him.get(reverse("interop-hl7-dead-letters"))
    assert page.status_code == 200 and dead.control_id in page.content.decode()
    assert "AE: no such ward" in page.content.decode()

    response = him.post(reverse("interop-hl7-resend", kwargs={"outbound_id": dead.pk}))

    assert response.status_code == 302
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == ("pending", 0)
    resend = AuditEvent.objects.get(object_type="hl7_outbound", action="update")
    assert (resend.user_id, resend.detail["change"], resend.detail["attempts"]) == (users["him_manager"].pk,
                                                                                    "resend", 1)
    answers["code"] = "AA"
    assert "1 sent" in send_outbound()
    again = him.post(reverse("interop-hl7-resend", kwargs={"outbound_id": dead.pk}), follow=True)
    assert "only a dead letter can be resent" in again.content.decode()
    assert AuditEvent.objects.filter(object_type="hl7_outbound", action="update").count() == 1


@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "roi", "transcriptionist", "provider",
                                  "privacy_officer", "administrator"])
def test_roles_without_the_hl7_queue_neither_see_nor_resend_dead_letters(role, admin, users, client_for):
    destination(admin, closed_port())
    factories.make_patient("Aiko", "Nakamura")
    row = Hl7Outbound.objects.get()
    Hl7Outbound.objects.filter(pk=row.pk).update(status="dead", dead_at=timezone.now())
    client = client_for(users[role])

    assert client.get(reverse("interop-hl7-dead-letters")).status_code == 403
    assert client.post(reverse("interop-hl7-resend", kwargs={"outbound_id": row.pk})).status_code == 403
    row.refresh_from_db()
    assert row.status == "dead"


def test_ar_is_tried_again_after_a_doubling_wait_and_later_messages_wait_behind_it(admin, listener, settings):
    settings.HL7_OUTBOUND_BACKOFF_S = 30
    answers = ["AR", "AR", "AA", "AA"]
    downstream = listener(lambda message: ack(answers.pop(0), message))
    destination(admin, downstream.port)
    first, _second = factories.make_patient("Aiko", "Nakamura"), factories.make_patient("Ken", "Sato")

    started = timezone.now()
    printed = send_outbound()

    assert "0 sent, 1 to try again" in printed and len(downstream.received) == 1
    row = Hl7Outbound.objects.get(patient_id=first.pk)
    assert row.attempts == 1 and row.last_error == "AR: no such ward"
    assert started + timedelta(seconds=29) < row.next_attempt_at < timezone.now() + timedelta(seconds=31)
    assert send_outbound().startswith("0 sent, 0 to try again")  # not due yet: nothing is sent, not even the next
    Hl7Outbound.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    send_outbound()
    row.refresh_from_db()
    assert row.attempts == 2
    assert timezone.now() + timedelta(seconds=59) < row.next_attempt_at  # 30 s, then 60 s
    Hl7Outbound.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())

    assert "2 sent" in send_outbound()
    assert [message.split("\r")[2].split("|")[5] for message in downstream.received[-2:]] == [
        "Nakamura^Aiko", "Sato^Ken"]  # in the order the changes were made


def test_no_answer_is_a_timeout_tried_again(admin, listener, settings):
    settings.HL7_OUTBOUND_TIMEOUT_S = 1
    downstream = listener(lambda message: None)
    destination(admin, downstream.port)
    factories.make_patient("Aiko", "Nakamura")

    assert "1 to try again" in send_outbound()

    row = Hl7Outbound.objects.get()
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "no ACK within 1 s")


def test_a_refused_connection_is_retried_then_becomes_a_dead_letter(admin, settings):
    settings.HL7_OUTBOUND_MAX_ATTEMPTS = 3
    destination(admin, closed_port())
    factories.make_patient("Aiko", "Nakamura")

    for _ in range(2):
        assert "1 to try again" in send_outbound()
        Hl7Outbound.objects.update(next_attempt_at=timezone.now())
    assert "1 dead letter(s)" in send_outbound()

    row = Hl7Outbound.objects.get()
    assert (row.status, row.attempts) == ("dead", 3)
    assert row.last_error.startswith("ConnectionRefusedError")


@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "roi", "transcriptionist", "provider",
                                  "him_manager", "privacy_officer", "interface"])
def test_no_role_but_the_administrator_configures_destinations(role, admin):
    with pytest.raises(CommandError, match="permission to manage HL7 destinations"):
        destination(factories.make_user(role), 2575)
    assert not Hl7Destination.objects.exists()


def test_only_an_administrator_configures_destinations_and_bad_ones_are_refused(admin, users):
    for port, problem in ((0, "not between 1 and 65535"), (70000, "not between 1 and 65535")):
        with pytest.raises(CommandError, match=problem):
            destination(admin, port)
    with pytest.raises(CommandError, match="A99 is not"):
        destination(admin, 2575, events="A04,A99")
    assert not Hl7Destination.objects.exists()
    created = destination(admin, 2575, events="a40,A04")
    assert created.events == "A04,A40"
    assert AuditEvent.objects.get(object_type="hl7_destination").detail["port"] == 2575


def test_the_feeds_own_changes_are_told_too_and_a_group_reads_the_destinations_once(admin):
    destination(admin, closed_port())
    group = [adt("A04", "O1").encode(),
             adt("A04", "O2", mrn="EXT2002", family="Sato", given="Ken", born="19600101", sex="M",
                 visit="V5002").encode()]

    with ThreadPoolExecutor(max_workers=1) as unused, CaptureQueriesContext(connection) as captured:
        MllpServer(interface_user(), port=0, database=unused)._receive_group(group)

    assert list(Hl7Outbound.objects.values_list("event", flat=True)) == ["A28", "A04", "A28", "A04"]
    assert sum("interop_hl7destination" in query["sql"] for query in captured.captured_queries) == 1
