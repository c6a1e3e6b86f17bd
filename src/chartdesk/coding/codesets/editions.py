"""The ICD-10-CM tabular editions Chartdesk carries, so that visits of past fiscal years find the
edition in effect on their date (`chartdesk codes load icd10cm --shipped-editions`, `make demo`).

The current edition is the one the simple-icd-10-cm package ships; earlier ones are kept
compressed in `coding/data/editions/` (origin in `coding/data/README.md`). Each takes effect on the
date its file name gives (`April-1-2025` -> FY2025 April update from 2025-04-01), never earlier: a
date before the earliest edition has no release, and the coding screen offers the nearest one,
marked as such.
"""

from __future__ import annotations

import datetime
from importlib import resources
from pathlib import Path

from chartdesk.coding.codesets.icd10cm import edition_of, packaged_tabular


def earlier_editions_folder() -> Path:
    return Path(str(resources.files("chartdesk.coding") / "data" / "editions"))


def shipped_tabular_editions() -> list[tuple[datetime.date, str, Path]]:
    """(effective from, label, file) of every shipped tabular list, earliest first."""
    paths = [*earlier_editions_folder().glob("*.xml.xz"), packaged_tabular()]
    editions = []
    for path in paths:
        start, label = edition_of(path.name.removesuffix(".xz"), "")
        editions.append((start, label, path))
    return sorted(editions)
