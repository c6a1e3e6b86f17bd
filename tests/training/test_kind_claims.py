"""Claims: correct the fields the billing scrubber rejects, against the claim's source documents."""

import pytest

from chartdesk.training.grading import AnswerError, Exercise, grade, shipped_exercises
from chartdesk.training.kinds import claims

GOOD_NPI = "1234567893"


def entry():
    form = {"diagnoses": ["E11.9", "I10"], "lines": [
        {"code": "99214", "units": 1, "charge": "145.00", "pointers": [1, 2], "modifiers": []},
        {"code": "36415", "units": 1, "charge": "12.00", "pointers": [1], "modifiers": []},
    ]}
    claim = {"member_id": "", "payer_id": "BWHP1", "diagnoses": ["E11.9", "I10"], "lines": [
        {"code": "99214", "units": 1, "charge": "145.00", "pointers": [], "modifiers": [], "rendering_npi": GOOD_NPI},
        {"code": "36415", "units": 1, "charge": "12.00", "pointers": [1], "modifiers": [],
         "rendering_npi": "1234567890"},
    ]}
    return {"id": "C1", "card": {"member_id": "XJH123456789", "payer_id": "BWHP1"}, "encounter_form": form,
            "rendering_npi": GOOD_NPI, "claim": claim}


def exercise():
    setup = {"claims": [entry()]}
    return Exercise("claims-test", "claims", "Test", ("x",), "", setup, claims.key_from_setup(setup))


RIGHT = {"claims": {"C1": [
    {"field": "member_id", "value": "XJH123456789"},
    {"field": "pointers", "line": 1, "value": [1, 2]},
    {"field": "rendering_npi", "line": 2, "value": GOOD_NPI},
]}}


def test_the_key_names_the_scrubbers_edit_for_each_correction():
    key = exercise().key["claims"]["C1"]
    assert [(fix["field"], fix.get("line"), fix["rule"]) for fix in key] == [
        ("member_id", None, "missing_subscriber"), ("pointers", 1, "pointer_missing"),
        ("rendering_npi", 2, "missing_rendering_npi"),
    ]
    assert key[1]["message"] == "The line points to no diagnosis."


def test_the_right_corrections_score_full_marks_however_they_are_written():
    assert grade(exercise(), RIGHT).score == 1.0
    written = {"claims": {"C1": [{"field": "member_id", "value": " xjh123456789 "},
                                 {"field": "pointers", "line": 1, "value": [1, 2]},
                                 {"field": "rendering_npi", "line": 2, "value": GOOD_NPI},
                                 {"field": "units", "line": 2, "value": "1.0"}]}}
    assert grade(exercise(), written).score == 1.0  # a right value restated changes nothing


def test_a_partly_corrected_claim_earns_the_points_it_fixed_and_is_told_the_rest():
    answer = {"claims": {"C1": RIGHT["claims"]["C1"][:1] + [{"field": "pointers", "line": 1, "value": [2]}]}}
    result = grade(exercise(), answer)
    assert result.earned == 2.0 and result.possible == 4.0
    pointers = result.items[1]
    assert pointers.explanation == (
        "Not corrected. The scrubber rejects it (pointer_missing): The line points to no diagnosis. "
        "Right value: [1, 2] (from the encounter form)."
    )
    npi = result.items[2]
    assert "missing_rendering_npi" in npi.explanation and "provider directory" in npi.explanation


def test_changing_a_right_field_loses_the_claims_last_point():
    answer = {"claims": {"C1": [*RIGHT["claims"]["C1"], {"field": "charge", "line": 2, "value": "15.00"}]}}
    result = grade(exercise(), answer)
    assert result.items[-1].earned == 0.0
    assert result.items[-1].explanation.startswith("Changed though it was right: line 2 charge.")


def test_no_corrections_score_only_nothing_changed():
    result = grade(exercise(), {"claims": {}})
    assert result.earned == 1.0 and result.possible == 4.0


@pytest.mark.parametrize(("answer", "message"), [
    ({}, "the answer has no 'claims'"),
    ({"claims": {"C9": []}}, "the answer's claims: unknown 'C9'"),
    ({"claims": {"C1": {}}}, "claim C1 must be a list"),
    ({"claims": {"C1": [{"value": 1}]}}, "claim C1 correction 1 has no 'field'"),
    ({"claims": {"C1": [{"field": "colour", "value": 1}]}}, "unknown 'colour'"),
    ({"claims": {"C1": [{"field": "units", "value": 1}]}}, "units is a line field: give 'line', 1 to 2"),
    ({"claims": {"C1": [{"field": "member_id", "line": 1, "value": "X"}]}}, "member_id is a claim field"),
    ({"claims": {"C1": [{"field": "units", "line": 1, "value": "one"}]}}, "units must be a number"),
    ({"claims": {"C1": [{"field": "pointers", "line": 1, "value": ["A"]}]}}, "pointers are whole numbers"),
    ({"claims": {"C1": [{"field": "pointers", "line": 1}]}}, "correction 1 has no 'value'"),
])
def test_answers_not_in_the_format_are_refused_naming_the_problem(answer, message):
    with pytest.raises(AnswerError) as refused:
        grade(exercise(), answer)
    assert message in str(refused.value)


def test_at_least_ten_exercises_ship_each_error_one_the_scrubber_rejects_and_each_key_scores_full_marks():
    shipped = [drill for drill in shipped_exercises().values() if drill.kind == "claims"]
    assert len(shipped) >= 10
    for drill in shipped:
        assert drill.competencies
        assert dict(drill.key) == claims.key_from_setup(drill.setup), drill.id
        for claim in drill.setup["claims"]:
            assert claims.scrubber_findings(claim["claim"]), (drill.id, claim["id"])
            assert claims.scrubber_findings(claims.corrected(claim)) == [], (drill.id, claim["id"])
            assert all(fix["rule"] for fix in drill.key["claims"][claim["id"]])
        key_as_answer = {"claims": {claim_id: [{k: v for k, v in fix.items() if k in ("field", "line", "value")}
                                                for fix in fixes] for claim_id, fixes in drill.key["claims"].items()}}
        assert grade(drill, key_as_answer).score == 1.0, drill.id
        assert grade(drill, drill.key).score == 1.0, drill.id
