"""ACK messages: MSA-1 AA/AE/AR, MSA-2 = the control id (MSH-10) of the message answered, and an
ERR segment naming the segment and field at fault."""

from __future__ import annotations

import secrets

from django.utils import timezone

from chartdesk.interop.hl7v2.parser import Hl7Error, Message

RECEIVING_APPLICATION = "CHARTDESK"
RECEIVING_FACILITY = "HIM"


def _clean(text: str) -> str:
    """Text safe inside a field: no delimiters, no segment breaks, no control characters."""
    return " ".join("".join(" " if ch in "|^~\\&" or not ch.isprintable() else ch for ch in text).split())[:200]


def build_ack(code: str, *, message: Message | None, text: str = "", error: Hl7Error | None = None) -> str:
    """The ACK for `message` (or, when it could not be read at all, an ACK with an empty MSA-2)."""
    now = timezone.localtime().strftime("%Y%m%d%H%M%S%z")
    if message is not None:
        msh = message.msh
        sender_app, sender_facility = _clean(msh.field(3)), _clean(msh.field(4))
        event, control_id, version = _clean(message.trigger_event), _clean(message.control_id), message.version
    else:
        sender_app = sender_facility = event = control_id = ""
        version = "2.5.1"
    header = (f"MSH|^~\\&|{RECEIVING_APPLICATION}|{RECEIVING_FACILITY}|{sender_app}|{sender_facility}|{now}||"
              f"ACK^{event}^ACK|ACK{secrets.token_hex(6).upper()}|P|{version}")
    segments = [header, f"MSA|{code}|{control_id}|{_clean(text)}"]
    if error is not None:
        severity = "E"
        segments.append(f"ERR||{error.location}|{error.code}^{_clean(error.message)}^HL70357"
                        f"|{severity}||||{_clean(error.message)}")
    return "\r".join(segments) + "\r"
