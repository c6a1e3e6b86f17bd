"""`chartdesk drg group FILE --json`: one JSON object a line out, bad lines named by number."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

CASES = [
    {"id": "hf", "age": 70, "sex": "F", "discharge_status": "01", "dx": ["I50.23"], "poa": ["Y"], "pcs": []},
    {"id": "hf-mcc", "age": 70, "sex": "F", "discharge_status": 1, "dx": ["I5023", "J9601"], "poa": ["Y", "Y"]},
    {"id": 7, "age": 66, "sex": "M", "discharge_status": "01", "dx": ["M1611"], "pcs": ["0SR9019"],
     "discharge_date": "2026-05-04"},
    {"id": "hac", "age": 80, "sex": "M", "discharge_status": "01", "dx": ["J189", "L89153"], "poa": ["Y", "N"]},
]


def run(tmp_path, lines, *extra):
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from io import StringIO

    out = StringIO()
    call_command("drg", "group", str(path), "--json", "--date", "2026-05-04", *extra, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_group_prints_one_object_a_line_in_order(tmp_path):
    answers = run(tmp_path, [json.dumps(case) for case in CASES])
    assert [(a["id"], a["mdc"], a["drg"], a["weight"], a["cc_mcc"]) for a in answers] == [
        ("hf", "05", "293", 0.566, ""),
        ("hf-mcc", "05", "291", 1.2838, "MCC"),
        (7, "08", "470", 1.9289, ""),
        ("hac", "04", "195", 0.6285, ""),
    ]
    assert answers[1]["cc_mcc_code"] == "J9601" and answers[0]["version"] == "v43.1"


def test_a_bad_line_is_reported_with_its_number_and_nothing_is_grouped(tmp_path, capsys):
    lines = [json.dumps(CASES[0]), "{not json", json.dumps({**CASES[1], "dx": ["9999", "J9601"]}),
             json.dumps({k: v for k, v in CASES[2].items() if k != "age"}), json.dumps({**CASES[0], "colour": 1})]
    with pytest.raises(CommandError) as refusal:
        run(tmp_path, lines)
    message = str(refusal.value)
    assert "4 bad line(s); nothing grouped" in message
    assert "line 2: not JSON" in message
    assert "line 3: Diagnosis 1 '9999' is not an ICD-10-CM code" in message
    assert "line 4: 'age' is missing" in message
    assert "line 5: unknown field(s) colour" in message
    assert capsys.readouterr().out == ""


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("drg", "group", str(tmp_path / "none.jsonl"), "--json")
