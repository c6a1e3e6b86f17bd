"""`chartdesk codes suggest FILE --setting ... --json`: the coding screen's suggestion engine on one
note read from a file, and clear refusals for what cannot be read."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chartdesk.coding.suggest import encoder_index, suggest_codes

pytestmark = pytest.mark.django_db

NOTE = ("CHIEF COMPLAINT: Follow-up.,PAST MEDICAL HISTORY: Hypertension.,"
        "ASSESSMENT:,1. Type 2 diabetes with diabetic chronic kidney disease, stage 3a.,2. No evidence of pneumonia.,"
        "3. Crohn\u2019s disease.,PLAN: Continue metformin.")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("codes", "suggest", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write(tmp_path: Path, text: str, name: str = "note.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_prints_each_suggestion_with_title_confidence_and_evidence_offsets(tmp_path: Path) -> None:
    rows = json.loads(run(str(write(tmp_path, NOTE)), "--setting", "outpatient", "--json"))
    by_code = {row["code"]: row for row in rows}
    assert set(by_code) == {"E11.22", "N18.31", "I12.9", "K50.90"}  # pneumonia is negated: not suggested
    assert set(by_code["E11.22"]) == {"code", "title", "system", "confidence", "section", "flags", "evidence"}
    assert by_code["E11.22"]["title"] == "Type 2 diabetes mellitus with diabetic chronic kidney disease"
    assert 0 < by_code["E11.22"]["confidence"] <= 1
    for row in rows:
        for span in row["evidence"]:
            assert NOTE[span["start"]:span["end"]] == span["text"]
    assert [span["text"] for span in by_code["K50.90"]["evidence"]] == ["Crohn\u2019s disease"]


def test_the_same_engine_as_the_coding_screen(tmp_path: Path) -> None:
    rows = json.loads(run(str(write(tmp_path, NOTE)), "--setting", "inpatient", "--json"))
    expected = suggest_codes(NOTE, setting="inpatient", index=encoder_index())
    assert [(row["code"], row["confidence"]) for row in rows] == [(item.code, item.confidence) for item in expected]


def test_the_setting_changes_what_an_uncertain_diagnosis_gives(tmp_path: Path) -> None:
    note = write(tmp_path, "HISTORY: Cough and fever for three days.,ASSESSMENT: Probable pneumonia.")
    outpatient = {row["code"] for row in json.loads(run(str(note), "--setting", "outpatient", "--json"))}
    inpatient = {row["code"] for row in json.loads(run(str(note), "--setting", "inpatient", "--json"))}
    assert "J18.9" not in outpatient and {"R05.9", "R50.9"} <= outpatient
    assert "J18.9" in inpatient


def test_plain_output_names_code_and_evidence(tmp_path: Path) -> None:
    out = run(str(write(tmp_path, NOTE)), "--setting", "outpatient")
    assert "K50.90" in out and "'Crohn\u2019s disease'" in out


@pytest.mark.parametrize(("content", "message"), [
    ("", "the file is empty"),
    ("   \n\t\n", "the file is empty"),
])
def test_an_empty_note_is_refused(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(str(write(tmp_path, content)), "--setting", "outpatient")


def test_a_missing_folder_or_unreadable_file_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"nothere\.txt: no such file"):
        run(str(tmp_path / "nothere.txt"), "--setting", "outpatient")
    with pytest.raises(CommandError, match="not a file"):
        run(str(tmp_path), "--setting", "outpatient")
    binary = tmp_path / "scan.pdf"
    binary.write_bytes(b"%PDF-1.4\n\xff\xfe\x00\x81")
    with pytest.raises(CommandError, match=r"scan\.pdf: not UTF-8 text"):
        run(str(binary), "--setting", "outpatient")


def test_a_bad_setting_sex_or_age_is_refused(tmp_path: Path) -> None:
    note = str(write(tmp_path, NOTE))
    with pytest.raises(CommandError, match="--setting must be outpatient or inpatient, not 'office'"):
        run(note, "--setting", "office")
    with pytest.raises(CommandError, match="--setting"):
        run(note)
    with pytest.raises(CommandError, match="--sex must be F or M"):
        run(note, "--setting", "outpatient", "--sex", "X")
    with pytest.raises(CommandError, match="--age must be between 0 and 130"):
        run(note, "--setting", "outpatient", "--age", "200")
    with pytest.raises(CommandError, match="not a date"):
        run(note, "--setting", "outpatient", "--date", "yesterday")
