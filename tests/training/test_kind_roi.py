"""Release of information: authorizations under 164.508(c), sensitive records, fees, graded against the
disclosures app's own decisions."""

from datetime import date

import pytest

from chartdesk.disclosures.authorizations import MISSING_EXPIRATION, authorization_problems
from chartdesk.training.grading import AnswerError, Exercise, grade, shipped_exercises
from chartdesk.training.kinds import roi

TODAY = "2026-03-15"


def valid_authorization(**changes):
    authorization = {
        "information_described": "Records of the March 2026 admission", "discloser": "Community Hospital HIM",
        "recipient": "Hale & Brook LLP", "purpose": "Personal injury claim", "expires_on": "2026-12-31",
        "signed_on": "2026-03-01", "signature_present": True, "states_right_to_revoke": True,
        "states_conditioning": True, "states_redisclosure": True, "sensitive_categories": ["part2"],
        "purposes": ["legal"],
    }
    authorization.update(changes)
    return authorization


def exercise():
    setup = {"today": TODAY, "requests": [
        {"id": "A", "requester_type": "attorney", "requester_name": "Hale & Brook LLP", "purpose": "legal",
         "delivery_format": "paper", "pages": 40, "chart_categories": ["part2", "psychotherapy"],
         "authorization": valid_authorization()},
        {"id": "B", "requester_type": "attorney", "requester_name": "Ortega Law", "purpose": "legal",
         "delivery_format": "pdf", "pages": 12, "chart_categories": [],
         "authorization": valid_authorization(expires_on="", expiration_event="", recipient="Ortega Law")},
        {"id": "C", "requester_type": "patient", "requester_name": "The patient", "purpose": "access",
         "delivery_format": "electronic", "pages": 30, "chart_categories": ["psychotherapy", "hiv_sti"],
         "authorization": None},
    ]}
    return Exercise("roi-test", "roi", "Test", ("AHIMA RHIT Domain 2",), "", setup, roi.key_from_setup(setup))


RIGHT = {"requests": {
    "A": {"release": True, "problems": [], "withhold": ["psychotherapy"], "fee_cents": 1500 + 40 * 50 + 150},
    "B": {"release": False, "problems": ["expiration"]},
    "C": {"release": True, "problems": [], "withhold": ["psychotherapy"], "fee_cents": 30 * 5},
}}


def test_the_key_is_what_the_disclosures_app_decides():
    key = exercise().key["requests"]
    assert key["A"]["fee_cents"] == 3650 and key["A"]["withhold"] == ["psychotherapy"]
    assert key["B"]["problems"] == ["expiration"]
    auth = roi.authorization_of(valid_authorization(expires_on="", expiration_event=""))
    assert authorization_problems(auth, date.fromisoformat(TODAY)) == [MISSING_EXPIRATION]
    assert key["C"] == {"release": True, "problems": [], "withhold": ["psychotherapy"], "fee_cents": 150,
                        "fee_method": "cost_based", "fee_lines": [["Labour to copy 30 pages", 150]]}


def test_the_right_answer_scores_full_marks():
    assert grade(exercise(), RIGHT).score == 1.0


def test_a_missed_expiration_is_graded_per_point_with_the_rule_and_the_right_answer():
    answer = {"requests": {**RIGHT["requests"], "B": {"release": True, "problems": [], "withhold": [],
                                                         "fee_cents": 1500}}}
    result = grade(exercise(), answer)
    decision, problems = [item for item in result.items if item.point.startswith("Request B")]
    assert decision.earned == 0.0 and problems.earned == 0.0
    assert "164.508(c)(1)(v)" in decision.explanation
    assert "Right answer: deny" in decision.explanation
    assert "Missed: expiration." in problems.explanation
    assert result.possible == 10.0 and result.earned == 8.0


def test_releasing_part2_and_psychotherapy_notes_unnamed_and_a_wrong_fee_lose_those_points():
    answer = {"requests": {**RIGHT["requests"], "A": {"release": True, "problems": [], "withhold": [],
                                                         "fee_cents": 3500}}}
    result = grade(exercise(), answer)
    withheld = next(item for item in result.items if item.point == "Request A: what is withheld")
    fee = next(item for item in result.items if item.point == "Request A: fee")
    assert withheld.earned == 0.0 and "42 CFR Part 2" in withheld.explanation
    assert "Withhold: Psychotherapy notes." in withheld.explanation
    assert fee.earned == 0.0
    assert "Search and handling $15.00; 40 pages $20.00; Postage $1.50: $36.50 in all." in fee.explanation


def test_a_patients_own_copy_is_the_cost_based_fee_of_164_524():
    result = grade(exercise(), RIGHT)
    fee = next(item for item in result.items if item.point == "Request C: fee")
    assert "164.524(c)(4)" in fee.explanation and "$1.50 in all" in fee.explanation


def test_a_wholly_wrong_answer_scores_little():
    wrong = {"requests": {
        "A": {"release": False, "problems": ["signature"]},
        "B": {"release": True, "problems": ["purpose"], "withhold": [], "fee_cents": 0},
        "C": {"release": False, "problems": ["no_authorization"]},
    }}
    assert grade(exercise(), wrong).earned == 0.0


def test_naming_some_problems_and_an_extra_earns_partial_credit():
    setup = {"today": TODAY, "requests": [{
        "id": "A", "requester_type": "payer", "requester_name": "Northwind Life", "purpose": "insurance",
        "pages": 10, "authorization": valid_authorization(states_redisclosure=False, purpose="",
                                                          recipient="Northwind Life", purposes=["insurance"])}]}
    drill = Exercise("roi-two", "roi", "Test", ("x",), "", setup, roi.key_from_setup(setup))
    assert drill.key["requests"]["A"]["problems"] == ["purpose", "redisclosure_statement"]
    result = grade(drill, {"requests": {"A": {"release": False, "problems": ["purpose", "expired", "signature"]}}})
    assert result.items[1].earned == 0.0  # one right, two wrong
    result = grade(drill, {"requests": {"A": {"release": False, "problems": ["purpose"]}}})
    assert result.items[1].earned == 0.5


@pytest.mark.parametrize(("answer", "message"), [
    ({}, "the answer has no 'requests'"),
    ({"requests": {"A": {}}}, "request A has no 'release'"),
    ({"requests": {**RIGHT["requests"], "Z": {"release": True}}}, "the answer's requests: unknown 'Z'"),
    ({"requests": {"A": RIGHT["requests"]["A"]}}, "the answer has no entry for request 'B'"),
    ({"requests": {**RIGHT["requests"], "A": {"release": "yes"}}}, "request A: 'release' must be true or false"),
    ({"requests": {**RIGHT["requests"], "A": {"release": True, "withhold": []}}}, "request A: a release needs"),
    ({"requests": {**RIGHT["requests"], "A": {"release": True, "fee_cents": 12.5}}}, "whole number of cents"),
    ({"requests": {**RIGHT["requests"], "B": {"release": False, "problems": ["no_date"]}}}, "unknown 'no_date'"),
    ({"requests": {**RIGHT["requests"], "A": {"release": True, "fee_cents": 1, "withhold": ["hiv"]}}},
     "request A withhold: unknown 'hiv'"),
])
def test_answers_not_in_the_format_are_refused_naming_the_problem(answer, message):
    with pytest.raises(AnswerError) as refused:
        grade(exercise(), answer)
    assert message in str(refused.value)


def test_at_least_ten_exercises_ship_each_key_the_products_decision_and_scoring_full_marks():
    shipped = [exercise for exercise in shipped_exercises().values() if exercise.kind == "roi"]
    assert len(shipped) >= 10
    problems_seen = set()
    for drill in shipped:
        assert drill.competencies
        assert dict(drill.key) == roi.key_from_setup(drill.setup), drill.id
        assert grade(drill, drill.key).score == 1.0, drill.id
        problems_seen |= {code for entry in drill.key["requests"].values() for code in entry["problems"]}
    assert {"expiration", "expired", "revoked", "no_authorization", "signature", "recipient_mismatch",
            "purpose_mismatch"} <= problems_seen


def test_an_authorization_must_cover_the_request_as_the_desks_release_check_says():
    setup = {"today": TODAY, "requests": [
        {"id": "A", "requester_type": "attorney", "requester_name": "Hale and Brook", "purpose": "legal",
         "pages": 10, "authorization": valid_authorization()},
        {"id": "B", "requester_type": "attorney", "requester_name": "Whitfield & Crane LLP", "purpose": "legal",
         "pages": 10, "authorization": valid_authorization()},
        {"id": "C", "requester_type": "attorney", "requester_name": "Hale & Brook LLP", "purpose": "legal",
         "pages": 10, "authorization": valid_authorization(purposes=["insurance"])},
        {"id": "D", "requester_type": "attorney", "requester_name": "Hale & Brook LLP", "purpose": "legal",
         "pages": 10, "authorization": valid_authorization(purposes=[])},
    ]}
    key = roi.key_from_setup(setup)["requests"]
    assert key["A"]["release"] is True  # the same firm written another way
    assert key["B"]["problems"] == ["recipient_mismatch"]
    assert key["C"]["problems"] == ["purpose_mismatch"]
    assert key["D"]["problems"] == ["purpose_not_recorded"]
    drill = Exercise("roi-cover", "roi", "Test", ("x",), "", setup, roi.key_from_setup(setup))
    answer = {"requests": {"A": {"release": True, "problems": [], "withhold": [], "fee_cents": 1500 + 500 + 150},
                           "B": {"release": True, "problems": [], "withhold": [], "fee_cents": 2150},
                           "C": {"release": False, "problems": ["purpose_mismatch"]},
                           "D": {"release": False, "problems": ["purpose_not_recorded"]}}}
    result = grade(drill, answer)
    assert result.score == round(8 / 10, 4)
    decision_b = next(item for item in result.items if item.point == "Request B: release or deny")
    assert "164.508(c)(1)(iii)" in decision_b.explanation
