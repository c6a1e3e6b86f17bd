"""What one HL7 client can hold of the listener: a connection silent too long is closed, connections
past the limit are closed on arrival, an oversized frame costs one AR and the connection goes on, and
trouble of the receiver's own (not the message's) is AR asking for a resend, with MSA-2 set."""

from __future__ import annotations

import asyncio

import pytest
from django.db import OperationalError

from chartdesk.interop.hl7v2 import intake
from chartdesk.interop.hl7v2.client import ack_code
from chartdesk.interop.hl7v2.listener import MllpServer
from chartdesk.interop.hl7v2.mllp import END, START, frame
from chartdesk.patients.models import Patient
from tests.interop.hl7_messages import adt
from tests.interop.test_hl7_listener import connect, with_listener

pytestmark = pytest.mark.django_db


def test_a_connection_silent_past_the_idle_timeout_is_closed():
    async def scenario(port):
        connection = await connect(port)
        await connection.send(frame(adt("A04", "I1")))
        first = await connection.ack()
        closed = await asyncio.wait_for(connection.reader.read(100), 5)  # nothing sent: the listener hangs up
        return first, closed

    first, closed = with_listener(scenario, idle_timeout=0.3)
    assert ack_code(first) == "AA"
    assert closed == b""


def test_connections_past_the_limit_are_closed_and_the_others_still_served():
    async def scenario(port):
        first, second = await connect(port), await connect(port)
        await asyncio.sleep(0.1)  # both accepted before the third arrives
        third = await connect(port)
        refused = await asyncio.wait_for(third.reader.read(100), 5)
        await first.send(frame(adt("A04", "K1")))
        await second.send(frame(adt("A04", "K2", mrn="EXT2002", family="Okafor", given="Chidi", visit="V6002")))
        return refused, await first.ack(), await second.ack()

    refused, first, second = with_listener(scenario, max_connections=2)
    assert refused == b""
    assert (ack_code(first), ack_code(second)) == ("AA", "AA")
    assert Patient.objects.count() == 2


def test_an_oversized_frame_gets_one_ar_and_the_next_message_is_applied():
    async def scenario(port):
        connection = await connect(port)
        await connection.send(START + b"MSH|^~\\&|" + b"X" * 3000)
        await connection.send(b"Y" * 3000)  # the rest of the same frame: dropped without another AR
        await connection.send(END + frame(adt("A04", "F2")))
        return await connection.ack(), await connection.ack()

    refused, applied = with_listener(scenario, max_frame=2000)
    assert "MSA|AR||MLLP framing: a frame longer than 2,000 bytes" in refused
    assert "MSA|AA|F2|" in applied


def test_a_complete_frame_over_the_limit_is_refused_too():
    async def scenario(port):
        connection = await connect(port)
        await connection.send(frame(adt("A04", "F1", extra="ZZZ|" + "X" * 3000)) + frame(adt("A04", "F2")))
        return await connection.ack(), await connection.ack()

    refused, applied = with_listener(scenario, max_frame=2000)
    assert "MSA|AR||MLLP framing: a frame longer than 2,000 bytes" in refused
    assert "MSA|AA|F2|" in applied
    assert Patient.objects.count() == 1


def test_trouble_of_the_receiver_is_ar_asking_for_a_resend_with_the_control_id(monkeypatch):
    def database_down(raw, *, acting_user):
        raise OperationalError("database is locked")

    monkeypatch.setattr(intake, "receive_message", database_down)

    async def scenario(port):
        connection = await connect(port)
        await connection.send(frame(adt("A04", "D1")))
        return await connection.ack()

    answer = with_listener(scenario)
    assert "MSA|AR|D1|system error at the receiver" in answer
    assert "resend it later" in answer


class GroupRecordingServer(MllpServer):
    groups: list[int] = []

    def _receive_group(self, payloads):
        self.groups.append(len(payloads))
        return super()._receive_group(payloads)


def test_messages_from_concurrent_senders_share_a_commit_and_each_is_answered_after_it(monkeypatch):
    GroupRecordingServer.groups = []
    monkeypatch.setattr("tests.interop.test_hl7_listener.MllpServer", GroupRecordingServer)

    async def sender(port, number):
        connection = await connect(port)
        codes = []
        for step, event in enumerate(("A04", "A08", "A03")):
            await connection.send(frame(adt(event, f"G{number}-{step}", mrn=f"EXT{number:04d}", visit=f"VG{number}",
                                            family="Tanaka" + "abcdefgh"[number], given="Ken",
                                            born=f"19{60 + number}0101", discharge="20250602100000")))
            codes.append(ack_code(await connection.ack()))
        return codes

    async def scenario(port):
        return await asyncio.gather(*(sender(port, number) for number in range(8)))

    assert with_listener(scenario) == [["AA", "AA", "AA"]] * 8
    assert sum(GroupRecordingServer.groups) == 24
    assert max(GroupRecordingServer.groups) > 1  # some commits carried several senders' messages
    assert Patient.objects.count() == 8


def test_a_message_that_fails_in_a_group_leaves_the_others_applied(monkeypatch):
    real = intake.receive_message

    def failing_for_one(raw, *, acting_user):
        if b"|BROKEN|" in raw:
            raise RuntimeError("a bug met by this message only")
        return real(raw, acting_user=acting_user)

    monkeypatch.setattr(intake, "receive_message", failing_for_one)

    async def scenario(port):
        first, second = await connect(port), await connect(port)
        await first.send(frame(adt("A04", "BROKEN")))
        await second.send(frame(adt("A04", "FINE", mrn="EXT2002", family="Okafor", given="Chidi", visit="V6002")))
        return await first.ack(), await second.ack()

    broken, fine = with_listener(scenario)
    assert "MSA|AR|BROKEN|system error at the receiver" in broken
    assert "MSA|AA|FINE|" in fine
    assert list(Patient.objects.values_list("family_name", flat=True)) == ["Okafor"]
