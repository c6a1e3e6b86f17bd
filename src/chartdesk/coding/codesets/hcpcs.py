"""HCPCS Level II from CMS's alpha-numeric file, and CPT from a licensee's file (never shipped).

The CMS file is fixed-width, 320 characters a record (HCPCS record layout): code in columns 1-5
(a modifier in 4-5), sequence number 6-10, record identification 11 (3 = first line of a
procedure, 4 = continuation of its long description, 7 and 8 the same for modifiers), long
description 12-91, short description 92-119, termination date 285-292 (YYYYMMDD), action code 293.
Disclaimer lines before the first record are skipped; after it, every non-blank line must be a
record. Problems are collected with their line numbers and reported together; nothing loads.

CPT: the AMA's plain descriptor files hold one code a line, the five-character code, then a tab or
spaces, then the descriptor. The system loads a licensee's copy; the project never ships one.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from chartdesk.coding.codesets.errors import MalformedCodeFile, ManyMalformedLines
from chartdesk.coding.codesets.records import ParsedCode, ParsedRelease
from chartdesk.coding.models import CodeLevel, CodeSystem

HCPCS_CODE = re.compile(r"^[A-V][0-9]{4}$")
MODIFIER = re.compile(r"^[0-9A-Z]{2}$")
CPT_CODE = re.compile(r"^[0-9]{4}[0-9FTU]$")
CPT_LINE = re.compile(r"^([0-9A-Z]{5})[\t ]+(\S.*)$")
FIRST_LINES = {"3": "procedure", "7": "modifier"}
CONTINUATIONS = {"4": "3", "8": "7"}


def year_of(source_name: str) -> int | None:
    match = re.search(r"(?<!\d)(20\d\d)(?!\d)", source_name)
    return int(match.group(1)) if match else None


@dataclass
class _Entry:
    code: str
    modifier: bool
    line: int
    long_parts: list[str] = field(default_factory=list)
    short: str = ""
    terminated: datetime.date | None = None


def _looks_like_record(line: str) -> bool:
    return len(line) >= 11 and line[10] in "3478" and line[5:10].isdecimal()


def _date(text: str) -> datetime.date | None:
    text = text.strip()
    if not text:
        return None
    return datetime.datetime.strptime(text, "%Y%m%d").date()


def parse_hcpcs(
    content: bytes, source_name: str, *, effective_from: datetime.date | None = None, label: str = ""
) -> ParsedRelease:
    year = year_of(source_name)
    if effective_from is None:
        if year is None:
            raise MalformedCodeFile(source_name, 1, "cannot tell the year from the file name: give --effective")
        effective_from = datetime.date(year, 1, 1)
    text = content.decode("cp1252", errors="replace")
    entries: list[_Entry] = []
    problems: list[tuple[int, str]] = []
    started = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if not _looks_like_record(line):
            if started:
                problems.append((number, "not a record of the HCPCS layout (record type in column 11 is 3, 4, 7 or 8)"))
            continue
        started = True
        problem = _take(line.ljust(320), number, entries)
        if problem:
            problems.append((number, problem))
    first_line: dict[tuple[str, bool], int] = {}
    for entry in entries:
        key = (entry.code, entry.modifier)
        if key in first_line:
            problems.append((entry.line, f"{entry.code} already started on line {first_line[key]}"))
        first_line.setdefault(key, entry.line)
    if problems:
        raise ManyMalformedLines(source_name, sorted(problems))
    if not entries:
        raise MalformedCodeFile(source_name, 1, "no HCPCS records found")
    codes = [
        ParsedCode(
            entry.code, entry.code, " ".join(" ".join(entry.long_parts).split()),
            CodeLevel.MODIFIER if entry.modifier else CodeLevel.CODE,
            billable=not entry.modifier, short_title=entry.short,
        )
        for entry in entries
        if entry.terminated is None or entry.terminated >= effective_from
    ]
    return ParsedRelease(CodeSystem.HCPCS, label or f"{effective_from.year} annual", effective_from, codes)


def _take(line: str, number: int, entries: list[_Entry]) -> str:
    kind = line[10]
    modifier = kind in "78"
    code = line[3:5].strip() if modifier else line[0:5].strip()
    if modifier and (line[0:3].strip() or not MODIFIER.match(code)):
        return f"modifier record without a two-character modifier in columns 4-5 ('{line[0:5]}')"
    if not modifier and not HCPCS_CODE.match(code):
        return f"'{line[0:5]}' in columns 1-5 is not a HCPCS Level II code"
    description = line[11:91].strip()
    if kind in CONTINUATIONS:
        previous = entries[-1] if entries else None
        if previous is None or previous.code != code or previous.modifier != modifier:
            return f"continuation line for {code} does not follow its first line"
        previous.long_parts.append(description)
        return ""
    try:
        terminated = _date(line[284:292])
    except ValueError:
        return f"termination date '{line[284:292]}' in columns 285-292 is not YYYYMMDD"
    if not description:
        return f"{code} has no long description in columns 12-91"
    entries.append(_Entry(code, modifier, number, [description], line[91:119].strip(), terminated))
    return ""


def parse_cpt(
    content: bytes, source_name: str, *, effective_from: datetime.date | None = None, label: str = ""
) -> ParsedRelease:
    year = year_of(source_name)
    if effective_from is None:
        if year is None:
            raise MalformedCodeFile(source_name, 1, "cannot tell the year from the file name: give --effective")
        effective_from = datetime.date(year, 1, 1)
    codes: dict[str, ParsedCode] = {}
    problems: list[tuple[int, str]] = []
    for number, raw in enumerate(content.decode("utf-8", errors="replace").splitlines(), start=1):
        if not raw.strip():
            continue
        match = CPT_LINE.match(raw.strip())
        if not match or not CPT_CODE.match(match.group(1)):
            problems.append((number, "expected a five-character CPT code, a tab or spaces, then its descriptor"))
            continue
        code, title = match.groups()
        if code in codes:
            problems.append((number, f"CPT code {code} appears twice"))
            continue
        codes[code] = ParsedCode(code, code, title.strip(), CodeLevel.CODE, billable=True)
    if problems:
        raise ManyMalformedLines(source_name, problems)
    if not codes:
        raise MalformedCodeFile(source_name, 1, "no CPT codes found")
    return ParsedRelease(CodeSystem.CPT, label or f"{effective_from.year} annual", effective_from, list(codes.values()))
