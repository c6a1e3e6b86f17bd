"""The HL7 v2 parser and MLLP framer: strict errors naming segment and field, and property-based
fuzzing of framing and segments (nothing but Hl7Error ever escapes; frames survive any chunking)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chartdesk.interop.hl7v2.ack import build_ack
from chartdesk.interop.hl7v2.client import ack_code, split_messages
from chartdesk.interop.hl7v2.mllp import END, START, FramingError, MllpFramer, frame
from chartdesk.interop.hl7v2.parser import Hl7Error, parse_message, parse_timestamp
from tests.interop.hl7_messages import adt


def test_a_message_parses_into_segments_and_fields():
    message = parse_message(adt("A01", "MSG001"))
    assert (message.control_id, message.message_code, message.trigger_event, message.version) == (
        "MSG001", "ADT", "A01", "2.5.1")
    pid = message.segment("PID")
    assert pid.component(5, 1) == "Nakamura"
    assert pid.component(3, 4) == "MERCY"


def test_escaped_delimiters_are_unescaped():
    message = parse_message(adt("A08", "E1", family="O\\S\\Brien"))
    assert message.segment("PID").component(5, 1) == "O^Brien"


@pytest.mark.parametrize(("text", "location", "fragment"), [
    ("PID|1||X", "MSH^1", "must start with an MSH"),
    ("MSH|^~\\&|A|B|C|D|20250101||ADT^A01|1|P|2.9\rPID|1", "MSH^1^12", "version 2.9"),
    ("MSH|^~\\&|A|B|C|D|20250101||ADT^A01||P|2.5.1", "MSH^1^10", "MSH-10"),
    ("MSH|^~\\&|A|B|C|D|20250101||ADT^A01|1|P|2.5.1\rpid|1", "", "segment id"),
    ("MSH|^~\\&|A|B|C|D|20250101||ADT^A01|1|P|2.5.1\rMSH|^~\\&|A", "MSH^2", "second MSH"),
    ("MSH|^^^^|A", "MSH^1^2", "five distinct"),
])
def test_broken_messages_are_refused_naming_where(text, location, fragment):
    with pytest.raises(Hl7Error) as refused:
        parse_message(text)
    assert refused.value.location == location
    assert fragment in refused.value.message
    assert refused.value.reject


def test_timestamps_with_and_without_zone():
    assert parse_timestamp("202506010830-0500", segment="PV1", field_number=44).isoformat() == (
        "2025-06-01T08:30:00-05:00")
    with pytest.raises(Hl7Error) as refused:
        parse_timestamp("20251341", segment="PV1", field_number=44)
    assert refused.value.location == "PV1^1^44"


def test_the_ack_carries_msa_2_equal_to_msh_10_and_an_err_segment():
    message = parse_message(adt("A01", "CTRL-77"))
    ack = build_ack("AE", message=message, text="bad | name", error=Hl7Error("bad name", segment="PID",
                                                                            field_number=5))
    segments = ack.split("\r")
    assert segments[1] == "MSA|AE|CTRL-77|bad name"
    assert segments[2].startswith("ERR||PID^1^5|207^bad name^HL70357|E")
    assert ack_code(ack) == "AE"
    parse_message(ack)  # our own ACK is a well-formed message


def test_split_messages_starts_a_message_at_each_msh():
    text = adt("A01", "1").replace("\r", "\n") + "\n" + adt("A03", "2")
    assert [parse_message(m).control_id for m in split_messages(text)] == ["1", "2"]


def test_framer_reports_junk_and_keeps_going():
    framer = MllpFramer()
    found = framer.feed(b"hello" + frame("MSH|a") + START + b"half" + START + b"MSH|b" + END)
    kinds = [type(item).__name__ for item in found]
    assert kinds == ["FramingError", "bytes", "FramingError", "bytes"]
    assert found[1] == b"MSH|a" and found[3] == b"MSH|b"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_parser_never_fails_with_anything_but_hl7error(text):
    try:
        parse_message(text)
    except Hl7Error as refused:
        assert refused.message


SEGMENT = st.from_regex(r"[A-Z][A-Z0-9]{2}(\|[A-Za-z0-9 ^~&\\.-]{0,12}){0,8}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(SEGMENT, max_size=8), st.sampled_from(["2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", ""]))
def test_messages_with_arbitrary_segments_parse_or_are_refused_cleanly(segments, version):
    text = "\r".join([f"MSH|^~\\&|A|B|C|D|20250101||ADT^A01|X1|P|{version}"] + segments)
    try:
        message = parse_message(text)
    except Hl7Error as refused:
        assert refused.segment in ("", "MSH") or refused.segment.isalnum()
        return
    assert len(message.segments) == 1 + len(segments)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=60).filter(lambda b: START not in b and b"\x1c" not in b),
                min_size=1, max_size=5), st.data())
def test_frames_survive_any_chunking(bodies, data):
    stream = b"".join(frame(body) for body in bodies)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    framer = MllpFramer()
    received: list[bytes] = []
    previous = 0
    for cut in [*cuts, len(stream)]:
        for item in framer.feed(stream[previous:cut]):
            assert not isinstance(item, FramingError)
            received.append(item)
        previous = cut
    assert received == bodies


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_framer_never_crashes_on_arbitrary_bytes(blob):
    framer = MllpFramer(max_frame=200)
    for item in framer.feed(blob):
        assert isinstance(item, bytes | FramingError)
