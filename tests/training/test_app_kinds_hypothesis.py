"""Any JSON answer to a coding case or a terminology drill is graded (0 to 1) or refused with
AnswerError naming the problem; nothing else is raised (the desk and the CLI would show a 500)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartdesk.training.grading import AnswerError, grade, shipped_exercises

scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.text(max_size=9) | \
    st.sampled_from(["I10", "E11.9", "0DTJ4ZZ", "icd10pcs", "hcpcs", "brady-", "slow", "CHF"])
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.sampled_from(["system", "code", "brady-", "CHF", "x"]), inner, max_size=3), max_leaves=10)
answers = st.dictionaries(st.sampled_from(["diagnoses", "procedures", "answers", "why", "other"]), values,
                          max_size=3)


@pytest.mark.parametrize("exercise_id", ["coding-ip-03", "term-prefixes-1", "term-abbreviations-2"])
def test_any_answer_is_graded_or_refused_naming_the_problem(db: Any, exercise_id: str) -> None:
    exercise = shipped_exercises()[exercise_id]

    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(answers)
    def check(answer: dict[str, Any]) -> None:
        try:
            result = grade(exercise, answer)
        except AnswerError as refusal:
            assert str(refusal)
        else:
            assert 0.0 <= result.score <= 1.0

    check()
