"""`chartdesk drg`: MS-DRG grouping on the command line.

    chartdesk drg group FILE --json [--date YYYY-MM-DD]

FILE holds one case a line, a JSON object: `id`, `age`, `sex` (M, F or U), `discharge_status` (UB-04,
"01" or 1), `dx` (ICD-10-CM, principal first), `poa` (one indicator per diagnosis; optional) and
`pcs` (ICD-10-PCS; optional), with `discharge_date` optional (default --date, or today). One JSON
object a line comes out, in order: `id`, `mdc`, `drg`, `weight`, `cc_mcc`, plus the secondary
diagnosis behind the CC/MCC, the title, GMLOS and the grouper version. Every line is checked
before any is grouped: a bad line is reported with its number and nothing is printed.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.coding.drg.grouper import (
    AbstractDiagnosis,
    AbstractProcedure,
    DrgInputError,
    InpatientAbstract,
    check_abstract,
    group,
    version_for,
)

FIELDS = {"id", "age", "sex", "discharge_status", "dx", "poa", "pcs", "discharge_date"}
MAX_REPORTED = 20


def _strings(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DrgInputError(f"'{name}' must be a list of code strings.", field=name)
    return value


def abstract_from_json(raw: Any, default_date: datetime.date) -> tuple[Any, InpatientAbstract]:
    """One input line as (id, abstract); DrgInputError names the field that is wrong."""
    if not isinstance(raw, dict):
        raise DrgInputError("each line must be a JSON object")
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        raise DrgInputError(f"unknown field(s) {', '.join(unknown)}; expected {', '.join(sorted(FIELDS))}")
    for required in ("id", "age", "sex", "discharge_status", "dx"):
        if required not in raw:
            raise DrgInputError(f"'{required}' is missing", field=required)
    dx = _strings(raw["dx"], "dx")
    poa = _strings(raw.get("poa", []), "poa")
    if len(poa) > len(dx):
        raise DrgInputError(f"'poa' has {len(poa)} indicators for {len(dx)} diagnoses", field="poa")
    pcs = _strings(raw.get("pcs", []), "pcs")
    status = raw["discharge_status"]
    if isinstance(status, int) and not isinstance(status, bool):
        status = f"{status:02d}"
    day = default_date
    if raw.get("discharge_date") is not None:
        try:
            day = datetime.date.fromisoformat(str(raw["discharge_date"]))
        except ValueError:
            raise DrgInputError("'discharge_date' is not a date (YYYY-MM-DD)", field="discharge_date") from None
    abstract = InpatientAbstract(
        diagnoses=tuple(AbstractDiagnosis(code, poa[index] if index < len(poa) else "")
                        for index, code in enumerate(dx)),
        procedures=tuple(AbstractProcedure(code) for code in pcs),
        age=raw["age"], sex=str(raw["sex"]).upper() if isinstance(raw["sex"], str) else raw["sex"],
        discharge_status=status, discharge_date=day,
    )
    check_abstract(abstract)
    version_for(day)
    return raw["id"], abstract


class Command(BaseCommand):
    help = "MS-DRG grouping: `drg group FILE --json` groups one case a line."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", title="subcommands", required=True)
        grouping = commands.add_parser("group", help="group the cases of a JSON lines file")
        grouping.add_argument("file", help="JSON lines: id, age, sex, discharge_status, dx, poa, pcs")
        grouping.add_argument("--json", action="store_true", help="print JSON lines (the default is a table)")
        grouping.add_argument("--date", help="discharge date for lines without one (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            default_date = datetime.date.fromisoformat(options["date"]) if options["date"] else datetime.date.today()
        except ValueError:
            raise CommandError(f"--date '{options['date']}' is not a date (YYYY-MM-DD)") from None
        path = Path(options["file"])
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as problem:
            raise CommandError(f"cannot read {path}: {problem}") from None
        cases: list[tuple[Any, InpatientAbstract]] = []
        problems: list[str] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                cases.append(abstract_from_json(json.loads(line), default_date))
            except json.JSONDecodeError as problem:
                problems.append(f"line {number}: not JSON ({problem.msg})")
            except DrgInputError as problem:
                problems.append(f"line {number}: {problem.message}")
        if problems:
            shown = problems[:MAX_REPORTED]
            more = f"\n... and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
            raise CommandError(f"{path}: {len(problems)} bad line(s); nothing grouped\n" + "\n".join(shown) + more)
        for case_id, abstract in cases:
            result = group(abstract)
            if options["json"]:
                self.stdout.write(json.dumps(result.as_json(case_id)))
            else:
                weight = result.weight.weight if result.weight else "-"
                self.stdout.write(f"{case_id}\tMDC {result.mdc}\tMS-DRG {result.drg}\t{weight}\t"
                                  f"{result.cc_mcc or '-'}\t{result.title}")
