"""Small extracts of the four `ICD10CM.index` files of the CMS release, written by the tests.

The rows follow the FY2023 files' schema and content (main terms, subterms, nonessential
modifiers, see / see also, cells by column); the codes they name are in the tabular subset the test
session loads (tests/support/codesets.py). "Chronic - see condition" is printed so in the Index to
Diseases; the "code also" under end-stage kidney disease is shaped by the tests (the tabular list
asks for the dialysis status as "use additional code").
"""

from __future__ import annotations

import zipfile
from pathlib import Path

DISEASES = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index>
  <version>2024</version>
  <title>ICD-10-CM Index to Diseases and Injuries</title>
  <letter>
    <title>C</title>
    <mainTerm>
      <title>Chronic</title>
      <see>condition</see>
    </mainTerm>
  </letter>
  <letter>
    <title>D</title>
    <mainTerm>
      <title>Disease, diseased</title>
      <term level="1">
        <title>kidney</title>
        <term level="2">
          <title>chronic</title>
          <code>N18.9</code>
          <term level="3">
            <title>end stage</title>
            <code>N18.6</code>
            <codeAlso>dialysis status (Z99.2)</codeAlso>
          </term>
        </term>
      </term>
    </mainTerm>
    <mainTerm>
      <title>Diabetes, diabetic<nemod>(mellitus) (sugar)</nemod></title>
      <code>E11.9</code>
      <term level="1">
        <title>adult-onset</title>
        <see>Diabetes, type 2</see>
      </term>
      <term level="1">
        <title>type 2</title>
        <code>E11.9</code>
        <term level="2">
          <title>with</title>
          <term level="3">
            <title>chronic kidney disease</title>
            <code>E11.22</code>
          </term>
        </term>
      </term>
    </mainTerm>
  </letter>
  <letter>
    <title>F</title>
    <mainTerm>
      <title>Fracture, traumatic<nemod>(abduction) (closed)</nemod></title>
      <term level="1">
        <title>femur, femoral</title>
        <term level="2">
          <title>neck</title>
          <seeAlso>Fracture, femur, upper end</seeAlso>
          <code>S72.00-</code>
        </term>
      </term>
    </mainTerm>
  </letter>
  <letter>
    <title>P</title>
    <mainTerm>
      <title>Pneumonia<nemod>(acute) (double) (migratory) (purulent) (septic) (unresolved)</nemod></title>
      <code>J18.9</code>
    </mainTerm>
  </letter>
</ICD10CM.index>
"""

EXTERNAL_CAUSES = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index>
  <version>2024</version>
  <title>ICD-10-CM External Cause of Injuries Index</title>
  <letter>
    <title>B</title>
    <mainTerm>
      <title>Bite, bitten by</title>
      <term level="1">
        <title>dog</title>
        <code>W54.0</code>
      </term>
    </mainTerm>
  </letter>
  <letter>
    <title>F</title>
    <mainTerm>
      <title>Fall, falling<nemod>(accidental)</nemod></title>
      <term level="1">
        <title>from, off, out of</title>
        <term level="2">
          <title>ladder</title>
          <code>W11</code>
        </term>
      </term>
    </mainTerm>
  </letter>
</ICD10CM.index>
"""

NEOPLASMS = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index>
  <version>2024</version>
  <indexHeading>
    <head col="1">Neoplasm</head>
    <head col="2">Malignant Primary</head>
    <head col="3">Malignant Secondary</head>
    <head col="4">Ca in situ</head>
    <head col="5">Benign</head>
    <head col="6">Uncertain Behavior</head>
    <head col="7">Unspecified Behavior</head>
  </indexHeading>
  <letter>
    <title>N</title>
    <mainTerm>
      <title>Neoplasm, neoplastic</title>
      <cell col="2">C80.1</cell><cell col="3">C79.9</cell><cell col="4">D09.9</cell>
      <cell col="5">D36.9</cell><cell col="6">D48.9</cell><cell col="7">D49.9</cell>
      <term level="1">
        <title>breast<nemod>(connective tissue) (glandular tissue) (soft parts)</nemod></title>
        <cell col="2">C50.9-</cell><cell col="3">C79.81</cell><cell col="4">D05.9-</cell>
        <cell col="5">D24.-</cell><cell col="6">D48.6-</cell><cell col="7">D49.3</cell>
      </term>
      <term level="1">
        <title>colon</title>
        <seeAlso>Neoplasm, intestine, large</seeAlso>
        <cell col="2">C18.9</cell><cell col="3">C78.5</cell><cell col="4">-</cell>
        <cell col="5">-</cell><cell col="6">-</cell><cell col="7">-</cell>
        <term level="2">
          <title>with rectum</title>
          <cell col="2">C19</cell><cell col="3">C78.5</cell><cell col="4">D01.1</cell>
          <cell col="5">D12.7</cell><cell col="6">D37.5</cell><cell col="7">D49.0</cell>
        </term>
      </term>
      <term level="1">
        <title>intestine, intestinal</title>
        <term level="2">
          <title>large</title>
          <cell col="2">C18.9</cell><cell col="3">C78.5</cell><cell col="4">D01.0</cell>
          <cell col="5">D12.6</cell><cell col="6">D37.4</cell><cell col="7">D49.0</cell>
          <term level="3">
            <title>colon</title>
            <cell col="2">C18.9</cell><cell col="3">C78.5</cell><cell col="4">D01.0</cell>
            <cell col="5">D12.6</cell><cell col="6">D37.4</cell><cell col="7">D49.0</cell>
          </term>
        </term>
      </term>
      <term level="1">
        <title>liver</title>
        <seeAlso>Neoplasm, hepatic</seeAlso>
        <cell col="2">C22.9</cell><cell col="3">C78.7</cell><cell col="4">D01.5</cell>
        <cell col="5">D13.4</cell><cell col="6">D37.6</cell><cell col="7">D49.0</cell>
      </term>
    </mainTerm>
  </letter>
</ICD10CM.index>
"""


def drug_row(substance: str, stem: str, adverse: bool = True) -> str:
    cells = "".join(f'<cell col="{column}">{stem}{column - 1}</cell>' for column in range(2, 6))
    if adverse:
        cells += f'<cell col="6">{stem}5</cell><cell col="7">{stem}6</cell>'
    else:
        cells += '<cell col="6">--</cell><cell col="7">--</cell>'
    return f"<mainTerm><title>{substance}</title>{cells}</mainTerm>"


DRUGS = f"""<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index>
  <version>2024</version>
  <indexHeading>
    <head col="1">Substance</head>
    <head col="2">Poisoning Accidental (unintentional)</head>
    <head col="3">Poisoning Intentional self-harm</head>
    <head col="4">Poisoning Assault</head>
    <head col="5">Poisoning Undetermined</head>
    <head col="6">Adverse effect</head>
    <head col="7">Underdosing</head>
  </indexHeading>
  <letter>
    <title>A</title>
    {drug_row("Acetaminophen", "T39.1X")}
    {drug_row("Alprazolam", "T42.4X")}
  </letter>
  <letter>
    <title>F</title>
    {drug_row("Furosemide", "T50.1X")}
  </letter>
  <letter>
    <title>I</title>
    {drug_row("Insulin<nemod>(amorphous) (crystalline)</nemod>", "T38.3X")}
  </letter>
</ICD10CM.index>
"""

FILES = {
    "icd10cm_index_2024.xml": DISEASES,
    "icd10cm_eindex_2024.xml": EXTERNAL_CAUSES,
    "icd10cm_neoplasm_2024.xml": NEOPLASMS,
    "icd10cm_drug_2024.xml": DRUGS,
}


def write_release_zip(folder: Path, name: str = "icd10cm-table-index-2024.zip") -> Path:
    """The four index files inside a zip, beside a file the loader must leave alone."""
    path = folder / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, content in FILES.items():
            archive.writestr(f"icd10cm-table-index-2024/{member}", content)
        archive.writestr("icd10cm-table-index-2024/README.txt", "not XML")
    return path


def write_release_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for member, content in FILES.items():
        (folder / member).write_text(content, encoding="utf-8")
    return folder
