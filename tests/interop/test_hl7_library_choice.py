"""Why Chartdesk keeps its own HL7 v2 parser and MLLP framer (docs/interop.md, "Parser and framer"):
the two maintained Python libraries get cases wrong that a hospital feed sends. Each test pins one such
case in the library and shows ours answering it. If a library release changes the behaviour, its test
fails, and the choice should be looked at again."""

from __future__ import annotations

import asyncio

import hl7
import hl7.mllp
import pytest
from hl7apy.exceptions import UnsupportedVersion
from hl7apy.parser import parse_message as hl7apy_parse

from chartdesk.interop.hl7v2.mllp import END, START, FramingError, MllpFramer
from chartdesk.interop.hl7v2.parser import Hl7Error, parse_message
from tests.interop.hl7_messages import adt

MESSAGE = adt("A04", "L1")


def test_python_hl7_reads_a_message_with_lf_line_ends_as_one_segment_and_ours_reads_four():
    assert len(hl7.parse(MESSAGE.replace("\r", "\n"))) == 1
    assert [segment.name for segment in parse_message(MESSAGE.replace("\r", "\n")).segments] == [
        "MSH", "EVN", "PID", "PV1"]


def test_hl7apy_takes_a_message_with_lf_line_ends_for_an_unknown_version():
    with pytest.raises(UnsupportedVersion):
        hl7apy_parse(MESSAGE.replace("\r", "\n"), find_groups=False)


def test_python_hl7_accepts_a_segment_id_in_lower_case_and_ours_names_it():
    text = MESSAGE + "pid|1"
    assert str(hl7.parse(text)[-1][0]) == "pid"
    with pytest.raises(Hl7Error, match="segment 5"):
        parse_message(text)


def _python_hl7_blocks(data: bytes) -> list[bytes | str]:
    async def read() -> list[bytes | str]:
        reader = hl7.mllp.MLLPStreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        found: list[bytes | str] = []
        while True:
            try:
                found.append(await reader.readblock())
            except hl7.mllp.InvalidBlockError:
                found.append("invalid block")
            except asyncio.IncompleteReadError:
                return found

    return asyncio.run(read())


def test_python_hl7_mllp_merges_a_frame_opened_twice_with_the_next_message_and_ours_keeps_it():
    data = START + b"MSH|^~\\&|half a message" + START + MESSAGE.encode() + END
    merged = _python_hl7_blocks(data)
    assert len(merged) == 1 and merged[0].count(b"MSH|") == 2  # type: ignore[union-attr]
    ours = MllpFramer().feed(data)
    assert isinstance(ours[0], FramingError) and ours[1] == MESSAGE.encode()


def test_python_hl7_mllp_loses_the_message_after_junk_and_ours_applies_it():
    data = b"junk\r" + START + MESSAGE.encode() + END
    assert _python_hl7_blocks(data) == ["invalid block"]
    ours = MllpFramer().feed(data)
    assert isinstance(ours[0], FramingError) and ours[1] == MESSAGE.encode()
