"""The MLLP listener end to end: ACKs after commit, framing errors answered with AR on a connection
that stays up, 20 concurrent connections, and `chartdesk hl7 send`.

The event loop and its sockets run in a background thread; the database work the listener hands to
its executor runs here, on the test's own thread, inside the test's transaction (a database thread
of its own could not see the test's rows). The connections are real sockets, all open at once.
"""

from __future__ import annotations

import asyncio
import io
import queue
import threading
from concurrent.futures import Executor, Future

import pytest
from django.core.management import call_command

from chartdesk.charts.models import Encounter
from chartdesk.completion.models import ChartCompletion
from chartdesk.interop.hl7v2.client import ack_code
from chartdesk.interop.hl7v2.follow_up import FOLLOW_UP_AFTER_S
from chartdesk.interop.hl7v2.listener import MllpServer
from chartdesk.interop.hl7v2.mllp import END, START, MllpFramer, frame
from chartdesk.interop.models import Hl7FollowUp, Hl7Message
from chartdesk.interop.system_user import interface_user
from chartdesk.patients.models import Patient
from tests.interop.hl7_messages import adt

pytestmark = pytest.mark.django_db


class CallerThreadExecutor(Executor):
    """Runs submitted work on the thread that calls `serve_until` (the test's thread)."""

    def __init__(self) -> None:
        self.work: queue.Queue = queue.Queue()

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        self.work.put((future, fn, args, kwargs))
        return future

    def serve_until(self, done: threading.Event) -> None:
        while not done.is_set() or not self.work.empty():
            try:
                future, fn, args, kwargs = self.work.get(timeout=0.02)
            except queue.Empty:
                continue
            try:
                future.set_result(fn(*args, **kwargs))
            except Exception as failure:  # handed back to the listener, as a thread pool would
                future.set_exception(failure)


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.framer = reader, writer, MllpFramer()
        self.pending: list[bytes] = []

    async def ack(self) -> str:
        while not self.pending:
            data = await asyncio.wait_for(self.reader.read(65536), 30)
            assert data, "the listener closed the connection"
            self.pending += [item for item in self.framer.feed(data) if isinstance(item, bytes)]
        return self.pending.pop(0).decode()

    async def send(self, payload: bytes) -> None:
        self.writer.write(payload)
        await self.writer.drain()


def with_listener(scenario, **limits):
    database = CallerThreadExecutor()
    server = MllpServer(interface_user(), port=0, database=database, **limits)
    done = threading.Event()
    outcome: dict = {}

    def run_loop():
        async def main():
            await server.start()
            try:
                return await scenario(server.port)
            finally:
                server.close()

        try:
            outcome["result"] = asyncio.run(main())
        except BaseException as failure:
            outcome["error"] = failure
        finally:
            done.set()

    loop_thread = threading.Thread(target=run_loop, daemon=True)
    loop_thread.start()
    database.serve_until(done)
    loop_thread.join(10)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


async def connect(port: int) -> Connection:
    return Connection(*await asyncio.open_connection("127.0.0.1", port))


def test_messages_are_acknowledged_after_they_are_applied():
    async def scenario(port):
        connection = await connect(port)
        await connection.send(frame(adt("A01", "L1")))
        first = await connection.ack()
        await connection.send(frame(adt("A03", "L2", discharge="20250603120000")))
        return first, await connection.ack()

    first, second = with_listener(scenario)
    assert "MSA|AA|L1|" in first and "MSA|AA|L2|" in second
    assert Encounter.objects.get().status == "finished"


def test_broken_framing_gets_ar_and_the_connection_stays_up():
    async def scenario(port):
        connection = await connect(port)
        answers = []
        await connection.send(b"not framed at all\r")
        answers.append(await connection.ack())
        await connection.send(START + b"MSH|^~\\&|half a message" + START + adt("A04", "L3").encode() + END)
        answers += [await connection.ack(), await connection.ack()]
        await connection.send(frame("PID|no header"))
        answers.append(await connection.ack())
        await connection.send(frame(adt("A08", "L4", family="Nakamura-Ito")))
        answers.append(await connection.ack())
        return answers

    answers = with_listener(scenario)
    assert "MSA|AR||MLLP framing: bytes outside an MLLP frame" in answers[0]
    assert "MSA|AR||MLLP framing: a frame was opened again" in answers[1]
    assert "MSA|AA|L3|" in answers[2]
    assert "MSA|AR||" in answers[3]
    assert "MSA|AA|L4|" in answers[4]
    assert Patient.objects.get().family_name == "Nakamura-Ito"


def test_twenty_concurrent_connections_are_all_applied_once():
    def messages(number: int) -> list[str]:
        admit = adt("A01", f"C{number}-1", mrn=f"EXT{number:04d}", family="Tanaka" + "abcdefghijklmnopqrst"[number],
                    given="Ken", born=f"19{50 + number}0101", visit=f"VC{number}")
        discharge = adt("A03", f"C{number}-2", mrn=f"EXT{number:04d}", family="Tanaka", given="Ken",
                        born=f"19{50 + number}0101", visit=f"VC{number}", discharge="20250602100000")
        return [admit, discharge, admit]  # the third is a repeat: acknowledged, changes nothing

    async def one_patient(port: int, number: int) -> list[str]:
        connection = await connect(port)
        codes = []
        for message in messages(number):
            await connection.send(frame(message))
            answer = await connection.ack()
            codes.append(ack_code(answer) if ack_code(answer) == "AA" else answer)
        return codes

    async def scenario(port):
        return await asyncio.gather(*(one_patient(port, number) for number in range(20)))

    assert with_listener(scenario) == [["AA", "AA", "AA"]] * 20
    assert Patient.objects.count() == 20
    assert Encounter.objects.filter(status="finished").count() == 20
    assert Hl7Message.objects.filter(status="repeated").count() == 20


def test_the_send_command_prints_each_ack(tmp_path):
    path = tmp_path / "adt.hl7"
    path.write_text(adt("A04", "S1").replace("\r", "\n") + adt("A09", "S2").replace("\r", "\n"))
    out = io.StringIO()

    async def scenario(port):
        # The command blocks on its socket, so it runs in a thread while the loop serves it.
        await asyncio.to_thread(call_command, "hl7", "send", str(path), "--port", str(port), stdout=out)

    with_listener(scenario)
    assert "MSA|AA|S1|" in out.getvalue()
    assert "MSA|AR|S2|" in out.getvalue()
    assert "2 message(s): 1 AA, 1 AR" in out.getvalue()


def test_the_listener_settles_the_follow_up_of_its_groups_after_their_acks():
    async def scenario(port):
        connection = await connect(port)
        await connection.send(frame(adt("A01", "U1")))
        first = await connection.ack()
        await connection.send(frame(adt("A03", "U2", discharge="20250603120000")))
        second = await connection.ack()
        await asyncio.sleep(FOLLOW_UP_AFTER_S * 4)  # the listener is idle: its follow-up falls due
        return first, second

    first, second = with_listener(scenario)
    assert "MSA|AA|U1|" in first and "MSA|AA|U2|" in second
    assert ChartCompletion.objects.filter(encounter__account_number="V5001").exists()
    assert Hl7FollowUp.objects.exists() and not Hl7FollowUp.objects.filter(done_at__isnull=True).exists()
