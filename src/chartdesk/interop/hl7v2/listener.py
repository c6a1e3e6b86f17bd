"""The MLLP listener: asyncio for the connections, one worker thread for the database.

Frames from all connections queue for the worker, which applies what has gathered as one group: one
transaction, a savepoint per message, one durable commit (group commit); each ACK is written back
only after that commit. A framing error gets an AR ACK and the connection stays up. One
database thread keeps writes in arrival order and spares SQLite lock contention; PostgreSQL would
allow more, but ADT order matters more than throughput (an A03 must not overtake its A01).

The database thread keeps its connection from one message to the next: Django's per-request
`close_old_connections` (with the default CONN_MAX_AGE of 0) would reconnect for every message,
which cost about a third of the work of applying an ADT. A connection that failed or broke is
closed and opened afresh for the next group. Every message still commits (durably) before its ACK.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from chartdesk.interop.hl7v2.ack import build_ack
from chartdesk.interop.hl7v2.mllp import FramingError, MllpFramer, frame
from chartdesk.interop.hl7v2.parser import Hl7Error, Message, parse_message

logger = logging.getLogger("chartdesk.interop.hl7")
# The most messages one commit takes: bounded so that a flood still gets ACKs back steadily.
MAX_GROUP = 64


def _drop_broken_connection() -> None:
    """Django's `close_if_unusable_or_obsolete` without its age limit: close this thread's connection
    if a transaction was left open or an error left it unusable; the next query reconnects."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.connection is None:
        return
    if connection.get_autocommit() != connection.settings_dict["AUTOCOMMIT"]:
        connection.close()
    elif connection.errors_occurred:
        if connection.is_usable():
            connection.errors_occurred = False
        else:
            connection.close()


def _framing_ack(error: FramingError) -> bytes:
    refused = Hl7Error(f"MLLP framing: {error.reason}", reject=True, code="100")
    return frame(build_ack("AR", message=None, text=refused.message, error=refused))


def _system_trouble_ack(payload: bytes) -> str:
    """AR for a failure of ours (database down, a bug): the message itself may be fine, so the sender
    is asked to resend it. Content that can never succeed is answered AE by the intake, not here."""
    from chartdesk.interop.hl7v2.intake import decode

    try:
        message: Message | None = parse_message(decode(payload))
    except Hl7Error:
        message = None
    trouble = Hl7Error("system error at the receiver: the message was not applied; resend it later", code="207")
    return build_ack("AR", message=message, text=trouble.message, error=trouble)


class MllpServer:
    def __init__(self, acting_user: Any, *, host: str = "127.0.0.1", port: int = 2575,
                 database: Executor | None = None, idle_timeout: float | None = None,
                 max_connections: int | None = None, max_frame: int | None = None) -> None:
        self.acting_user = acting_user
        self.idle_timeout = idle_timeout or settings.HL7_IDLE_TIMEOUT_S
        self.max_connections = max_connections or settings.HL7_MAX_CONNECTIONS
        self.max_frame = max_frame or settings.HL7_MAX_FRAME_BYTES
        self.refused_connections = 0
        self.host = host
        self.port = port
        # The thread that talks to the database; tests pass one that runs on their own thread, inside
        # their transaction, and then this server must leave that thread's connection alone.
        self.owns_database = database is None
        self.database = database or ThreadPoolExecutor(max_workers=1, thread_name_prefix="hl7-db")
        self.server: asyncio.base_events.Server | None = None
        self.received = 0
        self.connections: set[asyncio.Task[Any]] = set()
        self.waiting: asyncio.Queue[tuple[bytes, asyncio.Future[bytes]]] | None = None
        self.committer: asyncio.Task[None] | None = None

    def _receive_group(self, payloads: list[bytes]) -> list[bytes]:
        """Apply the messages waiting on every connection in one transaction, each in its own savepoint
        (one that fails leaves the others as they are), and answer them all after the one commit: with
        synchronous=FULL the durable commit is most of a message's cost, so senders that arrive
        together share it. A commit that fails answers every message of the group with AR."""
        from chartdesk.audit.actions import events_gathered
        from chartdesk.interop.hl7v2.follow_up import queue_follow_up
        from chartdesk.interop.hl7v2.intake import receive_message
        from chartdesk.interop.hl7v2.outbound import destinations_cached

        if self.owns_database:
            _drop_broken_connection()
        answers = []
        try:
            # events_gathered: the group's audit events join the chain in one step at its end, before
            # the commit; those of a message rolled back to its savepoint go with it.
            with transaction.atomic(), destinations_cached(), events_gathered():
                for payload in payloads:
                    # No savepoint here: receive_message does every write of a message inside one of
                    # its own, so a message that fails (even with a bug) is rolled back alone.
                    try:
                        answers.append(frame(receive_message(payload, acting_user=self.acting_user).ack))
                    except Exception:
                        logger.exception("HL7 message could not be processed")
                        answers.append(frame(_system_trouble_ack(payload)))
                # Analysis and FHIR versions of what the group changed: recorded now, in the group's
                # commit, and done after its ACKs have gone (hl7v2/follow_up.py).
                queue_follow_up()
        except Exception:
            logger.exception("a group of %d HL7 messages could not be committed", len(payloads))
            if self.owns_database:
                connections[DEFAULT_DB_ALIAS].close()  # whatever broke, the next group starts afresh
            return [frame(_system_trouble_ack(payload)) for payload in payloads]
        return answers

    def _settle_follow_ups(self) -> None:
        """On the database thread: the follow-ups of the groups committed since the last time."""
        from chartdesk.interop.hl7v2.follow_up import settle_follow_ups

        if self.owns_database:
            _drop_broken_connection()
        try:
            settle_follow_ups(acting_user=self.acting_user)
        except Exception:  # they stay waiting, and the next settling takes them
            logger.exception("HL7 follow-ups could not be settled")
            if self.owns_database:
                connections[DEFAULT_DB_ALIAS].close()

    async def _apply(self, payload: bytes) -> bytes:
        """Queue one frame for the next group; its ACK once that group has committed."""
        assert self.waiting is not None
        answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.waiting.put_nowait((payload, answer))
        return await answer

    async def _commit_groups(self) -> None:
        """Take whatever frames wait (up to MAX_GROUP), apply them on the database thread, answer each.
        While one group is being applied the next one gathers, so a lone sender waits for nothing.
        The follow-ups of the groups are settled FOLLOW_UP_AFTER_S after the first of them committed
        (between two groups, after their ACKs), and once at the start for what a stopped listener left."""
        from chartdesk.interop.hl7v2.follow_up import FOLLOW_UP_AFTER_S

        assert self.waiting is not None
        loop = asyncio.get_running_loop()
        follow_up_due: float | None = loop.time()
        while True:
            if follow_up_due is None:
                first = await self.waiting.get()
            else:
                try:
                    first = await asyncio.wait_for(self.waiting.get(), max(0.0, follow_up_due - loop.time()))
                except TimeoutError:
                    await loop.run_in_executor(self.database, self._settle_follow_ups)
                    follow_up_due = None
                    continue
            group = [first]
            while len(group) < MAX_GROUP and not self.waiting.empty():
                group.append(self.waiting.get_nowait())
            payloads = [payload for payload, _ in group]
            try:
                answers = await loop.run_in_executor(self.database, self._receive_group, payloads)
            except Exception:
                logger.exception("the HL7 database thread failed")
                answers = [frame(_system_trouble_ack(payload)) for payload in payloads]
            for (_, answer), ack in zip(group, answers, strict=True):
                if not answer.done():
                    answer.set_result(ack)
            if follow_up_due is None:
                follow_up_due = loop.time() + FOLLOW_UP_AFTER_S

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self.connections) >= self.max_connections:
            # Refused before reading anything: a sender past the limit sees the connection close and
            # retries later, and the senders already connected keep their share of the listener.
            self.refused_connections += 1
            logger.warning("HL7 connection from %s refused: %d connections already open (limit %d)",
                           writer.get_extra_info("peername"), len(self.connections), self.max_connections)
            writer.close()
            return
        framer = MllpFramer(self.max_frame)
        task = asyncio.current_task()
        if task is not None:
            self.connections.add(task)
            task.add_done_callback(self.connections.discard)
        try:
            while True:
                try:
                    data = await asyncio.wait_for(reader.read(65536), self.idle_timeout)
                except TimeoutError:
                    logger.info("HL7 connection from %s closed after %s s without a byte",
                                writer.get_extra_info("peername"), self.idle_timeout)
                    break
                if not data:
                    break
                for item in framer.feed(data):
                    if isinstance(item, FramingError):
                        logger.warning("MLLP framing error: %s (%r)", item.reason, item.sample)
                        writer.write(_framing_ack(item))
                    else:
                        writer.write(await self._apply(item))
                        self.received += 1
                    await writer.drain()
        except (ConnectionResetError, BrokenPipeError):
            pass
        finally:
            writer.close()

    async def start(self) -> int:
        self.waiting = asyncio.Queue()
        self.committer = asyncio.create_task(self._commit_groups())
        self.server = await asyncio.start_server(self._connection, self.host, self.port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def serve(self, ready: Callable[[int], None] | None = None) -> None:
        port = await self.start()
        if ready is not None:
            ready(port)
        assert self.server is not None
        async with self.server:
            await self.server.serve_forever()

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting, then let open connections finish what they were answering."""
        if self.server is not None:
            self.server.close()
        if self.connections:
            await asyncio.wait(set(self.connections), timeout=timeout)
        if self.committer is not None:
            self.committer.cancel()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        if self.committer is not None and not self.committer.done():
            self.committer.get_loop().call_soon_threadsafe(self.committer.cancel)
        if self.owns_database:
            self.database.submit(connections.close_all).result()
            self.database.shutdown(wait=True)
