"""Splitting an X12 interchange into segments, with the separators its ISA declares."""

from __future__ import annotations

from dataclasses import dataclass

ISA_LENGTH = 106


class X12Malformed(ValueError):
    """The file is not well-formed X12; `position` is the 1-based segment number (0 before the first)."""

    def __init__(self, position: int, segment_id: str, message: str) -> None:
        where = f"segment {position}" + (f" ({segment_id})" if segment_id else "")
        super().__init__(f"{where}: {message}")
        self.position = position
        self.segment_id = segment_id
        self.message = message


@dataclass(frozen=True)
class Separators:
    element: str
    component: str
    repetition: str
    segment: str


@dataclass(frozen=True)
class Segment:
    position: int
    elements: list[str]

    @property
    def id(self) -> str:
        return self.elements[0]

    def get(self, index: int, default: str = "") -> str:
        return self.elements[index] if index < len(self.elements) else default


def split(text: str) -> tuple[Separators, list[Segment]]:
    """Segments of an interchange; refuses text that does not start with a proper ISA."""
    body = text.lstrip("\ufeff \r\n\t")
    if not body.startswith("ISA") or len(body) < ISA_LENGTH:
        raise X12Malformed(1, "ISA", "the file does not start with an ISA interchange header")
    element = body[3]
    isa_fields = body[:ISA_LENGTH].split(element)
    if len(isa_fields) != 17:
        raise X12Malformed(1, "ISA", f"the header has {len(isa_fields)} elements, ISA needs 16")
    separators = Separators(element=element, component=body[104], repetition=isa_fields[11] or "^",
                            segment=body[105])
    if separators.segment.isalnum():
        raise X12Malformed(1, "ISA", "the segment terminator after ISA16 is missing")
    segments = []
    for number, raw in enumerate(body.split(separators.segment), start=1):
        cleaned = raw.strip("\r\n")
        if not cleaned.strip():
            continue
        segments.append(Segment(number, cleaned.split(element)))
    return separators, segments
