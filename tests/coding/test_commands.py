"""`chartdesk codes ...`: load, search and check from the command line, JSON as documented."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartdesk.coding.codesets.errors import MalformedCodeFile, ManyMalformedLines
from chartdesk.coding.codesets.hcpcs import parse_cpt, parse_hcpcs
from chartdesk.coding.codesets.icd10cm import parse_tabular

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("codes", *args, stdout=out)
    return out.getvalue()


def test_search_prints_a_json_list_best_first() -> None:
    hits = json.loads(run("search", "chf", "--json", "--limit", "3"))
    assert len(hits) == 3
    assert set(hits[0]) == {"code", "title", "billable", "score", "via", "notes"}
    assert hits[0] == {"code": "I50.9", "title": "Heart failure, unspecified", "billable": True,
                       "score": hits[0]["score"], "via": "Tabular List", "notes": hits[0]["notes"]}
    # The notes printed above I50.9 in the tabular list come with it, with where they stand.
    assert {"at": "I50", "kind": "Excludes2", "text": "cardiac arrest (I46.-)"} in hits[0]["notes"]
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]


def test_batch_search_prints_one_json_list_a_line_in_order(tmp_path: Path) -> None:
    queries = tmp_path / "queries.txt"
    queries.write_text("htn\n\ndm2\n")
    lines = run("search", "--batch", str(queries), "--json", "--limit", "2").splitlines()
    assert [json.loads(line)[0]["code"] if json.loads(line) else None for line in lines] == ["I10", None, "E11.9"]


def test_search_with_paths_shows_the_way_down(tmp_path: Path) -> None:
    hits = json.loads(run("search", "E11", "--json", "--limit", "1", "--paths"))
    assert hits[0]["code"] == "E11"
    assert [step["code"] for step in hits[0]["to_billable"]] == ["E11.9"]


def test_search_refuses_a_limit_out_of_range() -> None:
    with pytest.raises(CommandError, match="--limit must be between 1 and 200"):
        run("search", "chf", "--limit", "0")


def test_check_prints_each_finding_with_its_message() -> None:
    report = json.loads(run("check", "O80", "P07.00", "--sex", "M", "--age", "40", "--date", "2026-05-04", "--json"))
    assert report["release"] == "ICD-10-CM FY2026 April update"
    assert report["clean"] is False
    assert [(f["edit"], f["codes"]) for f in report["findings"] if f["severity"] == "error"] == [
        ("sex_conflict", ["O80"]), ("age_conflict", ["P07.00"])]


def test_check_with_poa_on_an_inpatient_stay() -> None:
    report = json.loads(run("check", "I10", "R07.9", "--inpatient", "--poa", "Y,X", "--date", "2026-05-04",
                            "--json"))
    assert [f["edit"] for f in report["findings"]] == ["poa_invalid"]


def test_check_refuses_a_bad_date() -> None:
    with pytest.raises(CommandError, match="--date '2026-13-01' is not a date"):
        run("check", "I10", "--date", "2026-13-01")


def test_load_refuses_a_missing_file_and_hcpcs_without_a_file() -> None:
    with pytest.raises(CommandError, match="give the HCPCS Level II file to load"):
        run("load", "hcpcs")
    with pytest.raises(CommandError, match="no such file"):
        run("load", "cpt", "nowhere-2026.txt")


def test_load_reports_what_it_loaded_and_then_that_nothing_changed(hcpcs_sample: Path) -> None:
    assert "loaded 8 billable codes from HCPC2019_sample.txt" in run("load", "hcpcs", str(hcpcs_sample))
    assert "already loaded from this file, nothing changed" in run("load", "hcpcs", str(hcpcs_sample))
    assert "HCPCS Level II  2019 annual" in run("releases")


def test_a_licensees_cpt_file_loads_and_a_bad_line_is_named(tmp_path: Path) -> None:
    # Made-up descriptors in the layout of the AMA's descriptor files; real CPT text is never shipped.
    good = tmp_path / "cpt-2026.txt"
    good.write_text("99213\tOffice visit, established patient, low complexity (test descriptor)\n"
                    "0001F\tA performance measure code (test descriptor)\n")
    assert "loaded 2 billable codes" in run("load", "cpt", str(good))
    bad = tmp_path / "cpt-2027.txt"
    bad.write_text("99213\tOffice visit (test descriptor)\nnot a code line\n")
    with pytest.raises(CommandError, match="cpt-2027.txt, line 2: expected a five-character CPT code"):
        run("load", "cpt", str(bad))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.characters(codec="latin-1"), max_size=330), max_size=8))
def test_the_hcpcs_parser_answers_any_input_with_codes_or_a_refusal(lines: list[str]) -> None:
    content = "\n".join(lines).encode("cp1252", errors="replace")
    try:
        release = parse_hcpcs(content, "HCPC2026.txt")
    except (MalformedCodeFile, ManyMalformedLines) as refusal:
        assert "line" in refusal.message
    else:
        assert all(code.code and code.title for code in release.codes)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_the_tabular_parser_answers_any_input_with_codes_or_a_refusal(text: str) -> None:
    try:
        parse_tabular(text.encode(), "icd10cm-tabular-October-1-2025.xml")
    except MalformedCodeFile as refusal:
        assert refusal.line >= 1


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_the_cpt_parser_answers_any_input_with_codes_or_a_refusal(text: str) -> None:
    try:
        release = parse_cpt(text.encode(), "cpt-2026.txt")
    except (MalformedCodeFile, ManyMalformedLines):
        return
    assert all(len(code.code) == 5 for code in release.codes)
