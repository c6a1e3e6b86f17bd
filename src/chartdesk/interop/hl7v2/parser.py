"""A small, strict HL7 v2 parser for the ADT messages Chartdesk accepts (why not python-hl7 or hl7apy:
docs/interop.md, "Parser and framer").

Strict on what it needs (an MSH with its encoding characters, a message type, a control id, a
version; segment ids of three upper-case letters or digits), lenient on what it does not (unknown
segments are kept and ignored). Every error names the segment and field, as an ACK's ERR segment
wants. Hypothesis fuzzes it in tests/interop/test_hl7_parser.py.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{2}$")
SUPPORTED_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8", "2.8.1", "2.8.2")
MAX_MESSAGE_CHARS = 1_000_000


class Hl7Error(Exception):
    """A message Chartdesk cannot accept. `reject` means AR (unreadable or unsupported: resending the
    same bytes will not help); otherwise AE (the content is wrong). `location` is segment^seq^field."""

    def __init__(self, message: str, *, segment: str = "", sequence: int = 1, field_number: int = 0,
                 reject: bool = False, code: str = "207") -> None:
        super().__init__(message)
        self.message = message
        self.segment = segment
        self.sequence = sequence
        self.field_number = field_number
        self.reject = reject
        self.code = code  # HL7 table 0357: 100 segment sequence, 101 required field, 102 data type,
        # 200 unsupported message type, 201 unsupported event, 203 unsupported version, 207 application error

    @property
    def location(self) -> str:
        if not self.segment:
            return ""
        return f"{self.segment}^{self.sequence}" + (f"^{self.field_number}" if self.field_number else "")


@dataclass(frozen=True)
class Encoding:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


@dataclass
class Segment:
    name: str
    fields: list[str]  # fields[n] is field n (for MSH, fields[1] is the field separator itself)
    encoding: Encoding

    def field(self, number: int) -> str:
        return self.fields[number] if number < len(self.fields) else ""

    def repetitions(self, number: int) -> list[str]:
        value = self.field(number)
        return [part for part in value.split(self.encoding.repetition)] if value else []

    def component(self, number: int, component: int = 1, repetition: int = 0) -> str:
        repeats = self.repetitions(number)
        if repetition >= len(repeats):
            return ""
        parts = repeats[repetition].split(self.encoding.component)
        return _value(parts[component - 1], self.encoding) if component <= len(parts) else ""

    def components(self, value: str) -> list[str]:
        return [_value(part, self.encoding) for part in value.split(self.encoding.component)]


@dataclass
class Message:
    segments: list[Segment]
    encoding: Encoding
    raw: str = ""
    by_name: dict[str, list[Segment]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for segment in self.segments:
            self.by_name.setdefault(segment.name, []).append(segment)

    def segment(self, name: str, *, required: bool = True) -> Segment | None:
        found = self.by_name.get(name)
        if not found:
            if required:
                raise Hl7Error(f"the {name} segment is missing", segment=name, code="100")
            return None
        return found[0]

    @property
    def msh(self) -> Segment:
        return self.segments[0]

    @property
    def control_id(self) -> str:
        return self.msh.field(10)

    @property
    def message_code(self) -> str:
        return self.msh.component(9, 1)

    @property
    def trigger_event(self) -> str:
        return self.msh.component(9, 2)

    @property
    def version(self) -> str:
        return self.msh.component(12, 1)

    @property
    def zone(self) -> tzinfo | None:
        """MSH-7's offset: the zone of every time stamp in the message that carries none of its own."""
        sent = self.msh.component(7, 1)
        match = TIMESTAMP.fullmatch(sent)
        own = match.group(7) if match else None
        return parse_zone(own, segment="MSH", field_number=7) if own else None


def _value(raw: str, encoding: Encoding) -> str:
    # "" is HL7's explicit null (the sender has no value and wants ours cleared): read as empty, so
    # that it is never stored as two quote marks or looked up as a code.
    return "" if raw == '""' else unescape(raw, encoding)


def unescape(value: str, encoding: Encoding) -> str:
    """HL7 escape sequences for the delimiters (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\); others are kept as written."""
    if encoding.escape not in value:
        return value
    escape = encoding.escape
    replacements = {"F": encoding.field, "S": encoding.component, "T": encoding.subcomponent,
                    "R": encoding.repetition, "E": escape}
    return re.sub(re.escape(escape) + r"([FSTRE])" + re.escape(escape), lambda m: replacements[m.group(1)], value)


def _encoding(header: str) -> Encoding:
    if not header.startswith("MSH") or len(header) < 8:
        raise Hl7Error("the message must start with an MSH segment and its encoding characters",
                       segment="MSH", reject=True, code="100")
    separator = header[3]
    characters = header[4:8]
    delimiters = separator + characters
    if separator.isalnum() or len(set(delimiters)) != 5 or any(ch.isalnum() or ch.isspace() for ch in delimiters):
        raise Hl7Error("MSH-1 and MSH-2 must be five distinct delimiter characters, none a letter, digit or space",
                       segment="MSH", field_number=2, reject=True, code="102")
    if len(header) > 8 and header[8] != separator:
        raise Hl7Error("MSH-2 has more than four encoding characters", segment="MSH", field_number=2, reject=True,
                       code="102")
    return Encoding(separator, characters[0], characters[1], characters[2], characters[3])


def parse_message(text: str) -> Message:
    """Parse one HL7 v2 message (segments separated by CR; LF and CRLF tolerated)."""
    if len(text) > MAX_MESSAGE_CHARS:
        raise Hl7Error(f"the message is longer than {MAX_MESSAGE_CHARS:,} characters", reject=True, code="207")
    lines = [line for line in re.split(r"\r\n|\r|\n", text.strip("\r\n")) if line.strip()]
    if not lines:
        raise Hl7Error("the message is empty", reject=True, code="100")
    encoding = _encoding(lines[0])
    segments = []
    counts: dict[str, int] = {}
    for position, line in enumerate(lines, start=1):
        name = line[:3]
        if not SEGMENT_ID.match(name) or (len(line) > 3 and line[3] != encoding.field):
            raise Hl7Error(f"segment {position} ({line[:12]!r}) does not start with a segment id and a field "
                           "separator",
                           segment=name if SEGMENT_ID.match(name) else "", reject=True, code="100")
        counts[name] = counts.get(name, 0) + 1
        if name == "MSH":
            if counts[name] > 1:
                raise Hl7Error("a second MSH segment: one message per frame", segment="MSH", sequence=2,
                               reject=True, code="100")
            fields = ["MSH", encoding.field] + line[4:].split(encoding.field)
        else:
            fields = line.split(encoding.field)
        segments.append(Segment(name, fields, encoding))
    message = Message(segments, encoding, raw=text)
    _check_header(message)
    return message


def _check_header(message: Message) -> None:
    msh = message.msh
    if not message.control_id:
        raise Hl7Error("MSH-10 (message control id) is required", segment="MSH", field_number=10, reject=True,
                       code="101")
    if len(message.control_id) > 40:
        raise Hl7Error("MSH-10 (message control id) is longer than 40 characters", segment="MSH",
                       field_number=10, reject=True, code="102")
    if not message.message_code:
        raise Hl7Error("MSH-9 (message type) is required", segment="MSH", field_number=9, reject=True, code="101")
    if not message.version:
        raise Hl7Error("MSH-12 (version) is required", segment="MSH", field_number=12, reject=True, code="101")
    if message.version not in SUPPORTED_VERSIONS:
        raise Hl7Error(f"version {message.version} is not supported ({', '.join(SUPPORTED_VERSIONS)})",
                       segment="MSH", field_number=12, reject=True, code="203")
    if msh.field(11) and msh.component(11, 1) not in ("P", "T", "D"):
        raise Hl7Error("MSH-11 (processing id) must be P, T or D", segment="MSH", field_number=11, reject=True,
                       code="102")


TIMESTAMP = re.compile(r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d{1,4})?([+-]\d{4})?")
# Real UTC offsets run from -12:00 to +14:00; anything past 14 hours or 59 minutes is a typing error.
MAX_OFFSET = timedelta(hours=14)


def parse_zone(zone: str, *, segment: str, field_number: int) -> tzinfo:
    """+HHMM or -HHMM as a fixed offset; an impossible one (+9999, -2400) names the field."""
    hours, minutes = int(zone[1:3]), int(zone[3:5])
    offset = timedelta(hours=hours, minutes=minutes)
    if minutes > 59 or offset > MAX_OFFSET:
        raise Hl7Error(f"{zone!r} is not a time zone offset (from -1200 to +1400)", segment=segment,
                       field_number=field_number, code="102")
    return timezone(offset if zone[0] == "+" else -offset)


def check_content(message: Message, *, max_repetitions: int) -> None:
    """What a readable message may not hold, each refusal naming the field (AE: the same bytes will
    never be accepted): control characters (NUL, tab, escape... nowhere in HL7 text; CR and LF already
    separate segments), more than `max_repetitions` repetitions of a field or occurrences of a
    segment, and an impossible MSH-7."""
    seen: dict[str, int] = {}
    for segment in message.segments:
        seen[segment.name] = sequence = seen.get(segment.name, 0) + 1
        if sequence > max_repetitions:
            raise Hl7Error(f"more than {max_repetitions} {segment.name} segments", segment=segment.name,
                           sequence=sequence, code="207")
        for number, value in enumerate(segment.fields):
            if number == 0:
                continue
            bad = next((ch for ch in value if unicodedata.category(ch) == "Cc"), None)
            if bad is not None:
                raise Hl7Error(f"{segment.name}-{number} holds the control character U+{ord(bad):04X}",
                               segment=segment.name, sequence=sequence, field_number=number, code="102")
            if value.count(message.encoding.repetition) >= max_repetitions and not (
                    segment.name == "MSH" and number == 2):
                raise Hl7Error(f"{segment.name}-{number} repeats more than {max_repetitions} times",
                               segment=segment.name, sequence=sequence, field_number=number, code="207")
    parse_timestamp(message.msh.component(7, 1), segment="MSH", field_number=7)


def parse_timestamp(value: str, *, segment: str, field_number: int, zone: tzinfo | None = None) -> datetime | None:
    """HL7 TS/DTM: YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ], aware. A value without its own offset is
    read in `zone` (the message's, from MSH-7), else in the server's zone. Every way a value can be
    impossible (month 13, offset +9999, a moment with no UTC equivalent) is an Hl7Error naming the
    field: the same bytes will never succeed, so the sender must not be told to resend them."""
    if not value:
        return None
    match = TIMESTAMP.fullmatch(value)
    if match is None:
        raise Hl7Error(f"{value!r} is not an HL7 date and time (YYYYMMDDHHMM[SS][+ZZZZ])", segment=segment,
                       field_number=field_number, code="102")
    year, month, day, hour, minute, second, own_zone = match.groups()
    try:
        moment = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                          int(second or 0))
    except ValueError:
        raise Hl7Error(f"{value!r} is not a real date", segment=segment, field_number=field_number,
                       code="102") from None
    if own_zone:
        zone = parse_zone(own_zone, segment=segment, field_number=field_number)
    if zone is None:
        from django.utils import timezone as django_timezone

        zone = django_timezone.get_current_timezone()
    aware = moment.replace(tzinfo=zone)
    try:
        aware.astimezone(UTC)  # what the database stores; years 1 and 9999 can fall off the calendar
    except (OverflowError, ValueError):
        raise Hl7Error(f"{value!r} is outside the calendar once converted to UTC", segment=segment,
                       field_number=field_number, code="102") from None
    return aware


def parse_date(value: str, *, segment: str, field_number: int) -> date | None:
    """A date (PID-7 and the like): the whole value must be a valid TS, of which the date as written
    is kept (a birth date is not moved across midnight by its offset)."""
    if not value:
        return None
    moment = parse_timestamp(value, segment=segment, field_number=field_number, zone=UTC)
    if moment is None or len(value) < 8:
        raise Hl7Error(f"{value!r}: a full date (YYYYMMDD) is needed", segment=segment, field_number=field_number,
                       code="102")
    return moment.date()
