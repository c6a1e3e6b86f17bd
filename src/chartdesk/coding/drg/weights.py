"""Relative weights and geometric mean length of stay per MS-DRG (CMS IPPS Table 5).

The grouper package carries the grouping logic but no weights; Table 5 of the IPPS final rule
(public domain) ships in `data/`, one file per fiscal year. A discharge in a fiscal year whose
table is not here gets the nearest table's figures, marked as such: a case-mix figure must say
when it rests on another year's weights.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class DrgWeight:
    drg: str
    mdc: str  # "PRE" for pre-MDC groups, otherwise the MDC number as Table 5 prints it ("05")
    kind: str  # "MED" or "SURG"
    title: str
    weight: Decimal
    gmlos: Decimal
    fiscal_year: int  # the table the figures come from
    nearest: bool = False  # True when the discharge's own fiscal year has no table here


@cache
def _tables() -> dict[int, dict[str, DrgWeight]]:
    tables: dict[int, dict[str, DrgWeight]] = {}
    for path in sorted(DATA.glob("ms_drg_table5_fy*.tsv")):
        year = int(path.stem.rsplit("fy", 1)[1])
        with path.open(encoding="utf-8") as handle:
            lines = (line for line in handle if not line.startswith("#"))
            tables[year] = {
                row["drg"]: DrgWeight(row["drg"], row["mdc"], row["type"], row["title"], Decimal(row["weight"]),
                                      Decimal(row["gmlos"]), year)
                for row in csv.DictReader(lines, delimiter="\t")
                # 998 and 999 (ungroupable) carry "." for a weight in Table 5: they have none.
                if row["weight"] not in ("", ".")
            }
    return tables


def fiscal_years() -> list[int]:
    return sorted(_tables())


def weight_of(drg: str, fiscal_year: int) -> DrgWeight | None:
    """Table 5's figures for `drg` in `fiscal_year`, or from the nearest year's table (marked `nearest`)."""
    tables = _tables()
    if not tables:
        return None
    year = min(tables, key=lambda candidate: (abs(candidate - fiscal_year), -candidate))
    found = tables[year].get(drg.zfill(3))
    if found is None or year == fiscal_year:
        return found
    return DrgWeight(found.drg, found.mdc, found.kind, found.title, found.weight, found.gmlos, year, nearest=True)
