"""The code-set page says plainly, per fiscal year, which parts of the classification are loaded:
the tabular list, the four parts of the Alphabetic Index, and each ICD-10-PCS section."""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from chartdesk.coding.loaded import classification_by_fiscal_year, fiscal_year
from chartdesk.coding.models import CodeSetRelease
from tests.coding.index_extracts import write_release_zip

pytestmark = pytest.mark.django_db


def year_section(page: str, year: int) -> str:
    match = re.search(rf'<section class="fiscal-year" aria-labelledby="fy-{year}">(.*?)</section>', page, re.S)
    assert match, f"no FY{year} on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_an_october_and_an_april_edition_belong_to_the_same_fiscal_year() -> None:
    assert fiscal_year(datetime.date(2023, 10, 1)) == fiscal_year(datetime.date(2024, 4, 1)) == 2024
    assert fiscal_year(datetime.date(2024, 9, 30)) == 2024


def test_each_fiscal_year_names_every_part_loaded_or_not(tmp_path: Path, users: dict[str, Any],
                                                        client_for: Callable[[Any], Client]) -> None:
    call_command("codes", "load", "icd10cm", str(write_release_zip(tmp_path)), stdout=io.StringIO())
    tabular = CodeSetRelease.objects.current("icd10cm")
    assert tabular is not None and fiscal_year(tabular.effective_from) != 2024
    page = client_for(users["coder"]).get("/coding/releases/").content.decode()
    index_year = year_section(page, 2024)
    assert "(2 of 6 parts not loaded)" in index_year
    assert "ICD-10-CM Tabular List not loaded" in index_year and "ICD-10-PCS not loaded" in index_year
    assert "Table of Neoplasms loaded FY2024, from 2023-10-01: 8 terms" in index_year
    assert "Index to Diseases and Injuries loaded FY2024, from 2023-10-01: 14 terms" in index_year
    assert "Table of Drugs and Chemicals loaded FY2024, from 2023-10-01: 4 terms" in index_year
    assert "External Cause of Injuries Index loaded FY2024, from 2023-10-01: 5 terms" in index_year
    tabular_year = year_section(page, fiscal_year(tabular.effective_from))
    assert f"ICD-10-CM Tabular List loaded {tabular.label}" in tabular_year
    assert "Index to Diseases and Injuries not loaded" in tabular_year


def test_the_pcs_sections_loaded_and_not_loaded_are_named(users: dict[str, Any],
                                                           client_for: Callable[[Any], Client]) -> None:
    # The test session loads three tables of section 0 (Medical and Surgical) only.
    [pcs] = [status for year in classification_by_fiscal_year() for status in year.parts
             if status.part == "ICD-10-PCS" and status.loaded]
    [edition] = pcs.editions
    assert edition.sections == ["0 Medical and Surgical"]
    assert len(edition.sections_missing) == 16 and "X New Technology" in edition.sections_missing
    page = client_for(users["coder"]).get("/coding/releases/").content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "sections: 0 Medical and Surgical sections not loaded: 1 Obstetrics, 2 Placement" in text


def test_codes_releases_says_which_parts_each_fiscal_year_lacks(tmp_path: Path) -> None:
    call_command("codes", "load", "icd10cm", str(write_release_zip(tmp_path)), stdout=io.StringIO())
    out = io.StringIO()
    call_command("codes", "releases", stdout=out)
    lines = out.getvalue().splitlines()
    assert "FY2024: not loaded: ICD-10-CM Tabular List, ICD-10-PCS" in lines
    assert any(line.startswith("  ICD-10-PCS ") and "sections not loaded: 1 Obstetrics" in line for line in lines)


@pytest.mark.parametrize("role", ["registrar", "transcriptionist", "roi", "administrator"])
def test_roles_without_the_encoder_cannot_read_the_code_set_status(role: str, users: dict[str, Any],
                                                                  client_for: Callable[[Any], Client]) -> None:
    response = client_for(users[role]).get("/coding/releases/")
    assert response.status_code == 403
    assert b"fiscal-year" not in response.content
