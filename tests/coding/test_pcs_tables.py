"""ICD-10-PCS from the CMS tables XML: every section, not only Medical and Surgical."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from chartdesk.coding.models import Code, CodeSetRelease

pytestmark = pytest.mark.django_db

# Two tables of the FY2023 file, one of section 0 and one of section B (imaging), as CMS writes them.
TABLES = """<?xml version="1.0" encoding="utf-8"?>
<ICD10PCS.tabular>
  <version>2026</version>
  <title>ICD-10-PCS Tables</title>
  <pcsTable>
    <axis pos="1" values="1"><title>Section</title><label code="0">Medical and Surgical</label></axis>
    <axis pos="2" values="1"><title>Body System</title><label code="D">Gastrointestinal System</label></axis>
    <axis pos="3" values="1"><title>Operation</title><label code="T">Resection</label>
      <definition>Cutting out or off, without replacement, all of a body part</definition></axis>
    <pcsRow codes="2">
      <axis pos="4" values="1"><title>Body Part</title><label code="J">Appendix</label></axis>
      <axis pos="5" values="2"><title>Approach</title><label code="0">Open</label>
        <label code="4">Percutaneous Endoscopic</label></axis>
      <axis pos="6" values="1"><title>Device</title><label code="Z">No Device</label></axis>
      <axis pos="7" values="1"><title>Qualifier</title><label code="Z">No Qualifier</label></axis>
    </pcsRow>
  </pcsTable>
  <pcsTable>
    <axis pos="1" values="1"><title>Section</title><label code="B">Imaging</label></axis>
    <axis pos="2" values="1"><title>Body System</title><label code="2">Heart</label></axis>
    <axis pos="3" values="1"><title>Type</title><label code="1">Fluoroscopy</label></axis>
    <pcsRow codes="2">
      <axis pos="4" values="1"><title>Body Part</title><label code="1">Coronary Arteries, Multiple</label></axis>
      <axis pos="5" values="2"><title>Contrast</title><label code="0">High Osmolar</label>
        <label code="1">Low Osmolar</label></axis>
      <axis pos="6" values="1"><title>Qualifier</title><label code="Z">None</label></axis>
      <axis pos="7" values="1"><title>Qualifier</title><label code="Z">None</label></axis>
    </pcsRow>
  </pcsTable>
</ICD10PCS.tabular>
"""


def load(path: Path) -> str:
    out = io.StringIO()
    call_command("codes", "load", "icd10pcs", str(path), stdout=out)
    return out.getvalue()


def test_the_tables_xml_loads_every_section_with_titles_built_from_the_axes(tmp_path: Path) -> None:
    path = tmp_path / "icd10pcs_tables_2026.xml"
    path.write_text(TABLES, encoding="utf-8")
    assert "FY2026" in load(path)
    release = CodeSetRelease.objects.current("icd10pcs")
    assert release is not None and release.code_count == 4
    titles = dict(Code.objects.filter(release=release, billable=True).values_list("code", "title"))
    assert titles == {
        "0DTJ0ZZ": "Resection of Appendix, Open Approach",
        "0DTJ4ZZ": "Resection of Appendix, Percutaneous Endoscopic Approach",
        "B2110ZZ": "Fluoroscopy of Coronary Arteries, Multiple, High Osmolar",
        "B2111ZZ": "Fluoroscopy of Coronary Arteries, Multiple, Low Osmolar",
    }
    assert "already loaded" in load(path)


def test_the_pcs_builder_walks_a_section_other_than_medical_and_surgical(
    tmp_path: Path, users: dict[str, Any], client_for: Callable[[Any], Client],
) -> None:
    path = tmp_path / "icd10pcs_tables_2026.xml"
    path.write_text(TABLES, encoding="utf-8")
    load(path)
    client = client_for(users["coder"])
    assert "Imaging" in client.get("/coding/pcs/").content.decode()
    page = client.get("/coding/pcs/?prefix=B211").content.decode()
    assert "High Osmolar" in page and "Low Osmolar" in page
    assert client_for(users["registrar"]).get("/coding/pcs/?prefix=B211").status_code == 403


def test_a_row_with_a_bad_character_is_refused_naming_the_label(tmp_path: Path) -> None:
    path = tmp_path / "icd10pcs_tables_2026.xml"
    path.write_text(TABLES.replace('<label code="J">Appendix</label>', '<label code="O">Appendix</label>'),
                    encoding="utf-8")
    with pytest.raises(CommandError, match=r"line \d+: <label code=\"O\"> is not a PCS character"):
        load(path)
    assert CodeSetRelease.objects.filter(source_name=path.name).count() == 0
