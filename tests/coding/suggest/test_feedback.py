"""The coder's decisions and the precision, recall and F1 computed from them."""

from __future__ import annotations

import pytest

from chartdesk.coding.suggest.feedback import (
    Scores,
    Verdict,
    decision_for,
    scores_for_labelled_set,
    scores_for_note,
    scores_from_decisions,
)


def test_scores_from_decisions_count_edits_against_precision_and_recall() -> None:
    decisions = [decision_for("accepted", suggested_code="I10"), decision_for("accepted", suggested_code="E11.9"),
                 decision_for("accepted", suggested_code="J45.909"),
                 decision_for("edited", suggested_code="E11.9", final_code="E11.40"),
                 decision_for("rejected", suggested_code="R05.9"),
                 decision_for("added", final_code="Z87.891"), decision_for("added", final_code="F17.210")]
    scores = scores_from_decisions(decisions)
    assert scores == Scores(true_positives=3, false_positives=2, false_negatives=3)
    assert scores.precision == pytest.approx(3 / 5)
    assert scores.recall == pytest.approx(3 / 6)
    assert scores.f1 == pytest.approx(2 * 0.6 * 0.5 / 1.1)


def test_labelled_set_scores_are_micro_averaged() -> None:
    scores = scores_for_labelled_set([(["I10", "E11.9"], ["I10", "E11.40"]), (["J18.9"], ["J18.9"]), ([], ["R05.9"])])
    assert scores == Scores(2, 1, 2)
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(2 / 4)


def test_one_notes_scores_compare_sets() -> None:
    assert scores_for_note(["I10", "I10", "E78.5"], ["I10"]) == Scores(1, 1, 0)


def test_nothing_suggested_and_nothing_expected_scores_zero_not_an_error() -> None:
    empty = Scores(0, 0, 0)
    assert (empty.precision, empty.recall, empty.f1) == (0.0, 0.0, 0.0)


def test_a_decision_needs_the_codes_its_verdict_implies() -> None:
    with pytest.raises(ValueError, match="suggested code"):
        decision_for("rejected")
    with pytest.raises(ValueError, match="final code"):
        decision_for("edited", suggested_code="E11.9")
    with pytest.raises(ValueError, match="must change"):
        decision_for("edited", suggested_code="E11.9", final_code="E11.9")
    with pytest.raises(ValueError, match="accepted suggestion keeps"):
        decision_for("accepted", suggested_code="E11.9", final_code="E11.65")
    with pytest.raises(ValueError):
        decision_for("ignored", suggested_code="E11.9")


def test_decisions_keep_what_the_coder_chose() -> None:
    rejected = decision_for(Verdict.REJECTED, suggested_code="R05.9", final_code="R05.9")
    assert (rejected.suggested_code, rejected.final_code) == ("R05.9", "")
    accepted = decision_for("accepted", suggested_code="0DTJ4ZZ", system="icd10pcs")
    assert (accepted.final_code, accepted.system) == ("0DTJ4ZZ", "icd10pcs")
