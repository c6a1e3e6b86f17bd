"""Sending HL7 v2 messages over MLLP and reading the ACKs (`chartdesk hl7 send`, tests, bench)."""

from __future__ import annotations

import re
import socket

from chartdesk.interop.hl7v2.mllp import FramingError, MllpFramer, frame


def split_messages(text: str) -> list[str]:
    """The messages of a file: each starts at an MSH segment; line ends become segment breaks (CR)."""
    segments = [line for line in re.split(r"\r\n|\r|\n", text) if line.strip()]
    messages: list[list[str]] = []
    for segment in segments:
        if segment.startswith("MSH") or not messages:
            messages.append([])
        messages[-1].append(segment)
    return ["\r".join(message) + "\r" for message in messages]


def read_ack(connection: socket.socket, framer: MllpFramer) -> str:
    while True:
        data = connection.recv(65536)
        if not data:
            raise ConnectionError("the listener closed the connection before answering")
        for item in framer.feed(data):
            if isinstance(item, FramingError):
                raise ConnectionError(f"the answer was not framed: {item.reason}")
            return item.decode("utf-8", errors="replace")


def send_messages(messages: list[str], *, host: str, port: int, timeout: float = 30.0) -> list[str]:
    """Send each message on one connection, waiting for its ACK before the next; returns the ACKs."""
    acks = []
    framer = MllpFramer()
    with socket.create_connection((host, port), timeout=timeout) as connection:
        for message in messages:
            connection.sendall(frame(message))
            acks.append(read_ack(connection, framer))
    return acks


def ack_code(ack: str) -> str:
    msa = next((segment for segment in ack.split("\r") if segment.startswith("MSA|")), "")
    parts = msa.split("|")
    return parts[1] if len(parts) > 1 else ""
