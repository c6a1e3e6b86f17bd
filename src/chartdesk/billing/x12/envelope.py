"""The envelope checks every inbound X12 file shares: the interchange (ISA/IEA), one or more functional
groups (GS/GE) of the kind and guide expected, and transaction sets whose SE trailers count and number
them correctly. A file that fails is refused whole with the segment position of the first fault."""

from __future__ import annotations

from chartdesk.billing.x12.segments import Segment, X12Malformed


def check_envelope(segments: list[Segment], *, functional_id: str, version: str, set_id: str, name: str) -> None:
    ids = [s.id for s in segments]
    for needed in ("GS", "ST", "SE", "GE", "IEA"):
        if needed not in ids:
            raise X12Malformed(segments[-1].position if segments else 0, needed, f"the file has no {needed} segment")
    if ids[-1] != "IEA":
        raise X12Malformed(segments[-1].position, segments[-1].id, "the file does not end with IEA")
    for group in (s for s in segments if s.id == "GS"):
        if group.get(1) != functional_id or not group.get(8).startswith(version):
            raise X12Malformed(group.position, "GS", f"this is not a {name} (GS01 {group.get(1)!r}, GS08 "
                                                     f"{group.get(8)!r}; a {name} has {functional_id} and {version})")
    start: Segment | None = None
    counted = 0
    for segment in segments:
        if segment.id == "ST":
            if start is not None:
                raise X12Malformed(segment.position, "ST", "a transaction set starts before the one before it ended")
            if segment.get(1) != set_id:
                raise X12Malformed(segment.position, "ST", f"ST01 is {segment.get(1)!r}, not {set_id}")
            start, counted = segment, 0
        if start is not None:
            counted += 1
        if segment.id == "SE":
            if start is None:
                raise X12Malformed(segment.position, "SE", "SE without its ST")
            if segment.get(2).lstrip("0") != start.get(2).lstrip("0"):
                raise X12Malformed(segment.position, "SE", f"SE02 {segment.get(2)!r} does not match its ST02 "
                                                           f"{start.get(2)!r}")
            if segment.get(1) != str(counted):
                raise X12Malformed(segment.position, "SE", f"SE01 says {segment.get(1)!r} segments, the set has "
                                                           f"{counted}")
            start = None
    if start is not None:
        raise X12Malformed(start.position, "ST", "a transaction set has no SE trailer")
