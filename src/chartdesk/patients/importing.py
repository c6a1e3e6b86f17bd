"""Reading a legacy patient index file (CSV, layout in docs/patients-import.md) into registrations.

Nothing here writes: every row is parsed and cleaned by the same validators registration uses
(`clean_registration(..., allow_incomplete=True)`), so that a file's malformed rows are all known,
by line, before anything is loaded. Loading is `patients.import_actions`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from chartdesk.core.errors import ChartdeskError
from chartdesk.patients.actions import clean_registration
from chartdesk.patients.models import IdentifierType
from chartdesk.patients.schemas import AddressInput, IdentifierInput, PatientRegistration
from chartdesk.patients.validation import InvalidField, InvalidPatientData, identifier_value_key

# The source's own record number is kept as a "patient internal identifier" issued by the source.
SOURCE_ID_TYPE = IdentifierType.PATIENT_INTERNAL
REQUIRED_COLUMNS = ("source_id", "given_name", "family_name", "birth_date")
OPTIONAL_COLUMNS = ("middle_name", "sex", "address_line", "city", "state", "postal_code", "phone", "ssn")
ADDRESS_COLUMNS = ("address_line", "city", "state", "postal_code")
# Other identifiers: one column each, named id:<TYPE>:<ISSUER>, as id:MB:Acme Health Plan.
IDENTIFIER_COLUMN = re.compile(r"^id:([A-Z]{2,4}):(.+)$")
SEX_WORDS = {"f": "F", "female": "F", "m": "M", "male": "M", "x": "X", "u": "U", "unknown": "U", "": "U"}
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y")
MAX_SOURCE_LENGTH = 80


class ImportRefused(ChartdeskError):
    """The file cannot be loaded as it is; `problems` lists each one by line. Nothing was loaded."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the file; nothing was loaded.")
        self.problems = problems


@dataclass(frozen=True)
class ImportRow:
    line: int
    source_id: str
    source_key: str
    registration: PatientRegistration


@dataclass
class ParsedFile:
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "line 7: Date of birth: ..." for each bad row
    bad_lines: set[int] = field(default_factory=set)


def clean_source(source: str) -> str:
    text = " ".join(source.split())
    if not text:
        raise ChartdeskError("--source: name the system the file comes from (the issuer of its source_id).",
                             field="source")
    if len(text) > MAX_SOURCE_LENGTH:
        raise ChartdeskError(f"--source: at most {MAX_SOURCE_LENGTH} characters.", field="source")
    return text


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _birth_date(text: str) -> tuple[date | None, str]:
    """(date, "") for a full date; (None, text) for a partial or empty one, checked by the cleaner."""
    text = text.strip()
    for layout in DATE_FORMATS:
        try:
            return datetime.strptime(text, layout).date(), ""
        except ValueError:
            continue
    month_year = re.match(r"^(\d{1,2})/(\d{4})$", text)  # 03/1975, as legacy screens wrote it
    if month_year:
        return None, f"{month_year.group(2)}-{int(month_year.group(1)):02d}"
    return None, text


def _identifier_columns(header: list[str]) -> tuple[list[tuple[str, str, str]], list[str]]:
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    identifiers, problems = [], []
    for column in header:
        if column in known:
            continue
        found = IDENTIFIER_COLUMN.match(column)
        if found is None:
            problems.append(f"line 1: column {column!r} is not part of the layout (see docs/patients-import.md).")
        elif found.group(1) not in IdentifierType.values or found.group(1) == IdentifierType.RETIRED_MRN:
            problems.append(f"line 1: column {column!r}: {found.group(1)} is not an identifier type.")
        else:
            identifiers.append((column, found.group(1), found.group(2).strip()))
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        problems.append(f"line 1: the header lacks column(s) {', '.join(missing)}.")
    return identifiers, problems


def _registration(values: dict[str, str], source: str,
                  identifiers: list[tuple[str, str, str]]) -> PatientRegistration:
    sex = SEX_WORDS.get(values.get("sex", "").strip().lower())
    if sex is None:
        raise InvalidField("sex", f"Sex: {values['sex']!r} is not one of F, M, X, U.")
    born, partial = _birth_date(values["birth_date"])
    address = tuple(values.get(column, "").strip() for column in ADDRESS_COLUMNS)
    phone = values.get("phone", "").strip()
    own = [IdentifierInput(type=SOURCE_ID_TYPE, issuer=source, value=values["source_id"].strip())]
    own += [IdentifierInput(type=kind, issuer=issuer, value=values[column].strip())
            for column, kind, issuer in identifiers if values.get(column, "").strip()]
    return PatientRegistration(
        given_name=values["given_name"],
        middle_name=values.get("middle_name", ""),
        family_name=values["family_name"],
        birth_date=born,
        birth_date_partial=partial,
        sex=sex,
        ssn=values.get("ssn", ""),
        # A legacy address is all or nothing: half an address cannot be mailed to or matched on.
        addresses=(AddressInput(*address),) if any(address) else (),
        phones=(("home", phone),) if phone else (),
        identifiers=tuple(own),
    )


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    for record in reader:
        yield reader.line_num, record


def parse_file(path: Path, *, source: str) -> ParsedFile:
    """Every row of the file as a cleaned registration, or a problem naming its line and field."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as undecodable:
        raise ImportRefused([f"the file is not UTF-8 text (byte {undecodable.start})."]) from None
    except OSError as unreadable:
        raise ImportRefused([f"the file cannot be read: {unreadable.strerror}."]) from None
    parsed = ParsedFile()
    records = _rows(text)
    try:
        _, header = next(records)
    except StopIteration:
        raise ImportRefused(["line 1: the file is empty; it needs a header row."]) from None
    except csv.Error as broken:
        raise ImportRefused([f"line 1: {broken}."]) from None
    header = [column.strip() for column in header]
    identifiers, header_problems = _identifier_columns(header)
    if header_problems:
        raise ImportRefused(header_problems)
    seen: dict[str, int] = {}
    try:
        for line, record in records:
            if not any(cell.strip() for cell in record):
                continue
            problem = _parse_row(parsed, line, record, header, source, identifiers, seen)
            if problem:
                parsed.problems.append(f"line {line}: {problem}")
                parsed.bad_lines.add(line)
    except csv.Error as broken:
        raise ImportRefused([*parsed.problems, f"line {line + 1}: {broken}."]) from None
    return parsed


def _parse_row(parsed: ParsedFile, line: int, record: list[str], header: list[str], source: str,
               identifiers: list[tuple[str, str, str]], seen: dict[str, int]) -> str:
    if len(record) != len(header):
        return f"{len(record)} fields where the header has {len(header)}."
    values = dict(zip(header, record, strict=True))
    source_id = values["source_id"].strip()
    if not source_id:
        return "source_id: required (the record's number in the legacy index)."
    key = identifier_value_key(source_id)
    if key in seen:
        return f"source_id {source_id!r} is already on line {seen[key]}."
    seen[key] = line
    try:
        registration = clean_registration(_registration(values, source, identifiers), allow_incomplete=True)
    except InvalidPatientData as invalid:
        return " ".join(invalid.errors.values())
    except InvalidField as invalid:
        return invalid.message
    parsed.rows.append(ImportRow(line=line, source_id=source_id, source_key=key, registration=registration))
    return ""


def registration_differences(registration: PatientRegistration, patient: object) -> list[str]:
    """The identifying fields on which a row differs from the patient its source_id already loaded."""
    fields = ("given_name", "middle_name", "family_name", "birth_date", "birth_date_partial", "sex")
    return [name for name in fields if getattr(registration, name) != getattr(patient, name)]

