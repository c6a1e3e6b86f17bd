"""Any JSON an answer may be is either graded (a score from 0 to 1) or refused with AnswerError: no
answer crashes a kind's grading with another error (which the desk and the CLI would show as a 500)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartdesk.training.grading import AnswerError, grade, shipped_exercises
from chartdesk.training.kinds import claims, deficiency, filing, mpi, roi, transcription  # noqa: F401

KINDS = ["mpi", "deficiency", "roi", "filing", "claims", "transcription"]

scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.sampled_from(
    ["", "A", "P1", "C1", "A2", "12-34-56", "signature", "expiration", "part2", "member_id", "units", "x"])
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.sampled_from(["A", "B", "C1", "t1", "m1", "line", "field",
                                                             "value", "chart", "kind", "document"]), inner,
                                             max_size=4), max_leaves=12)


def _shapes(kind):
    """Answers near the kind's format (its top-level field holding anything), and anything at all."""
    top = {"mpi": "merges", "deficiency": "deficiencies", "roi": "requests", "claims": "claims",
           "transcription": "text"}.get(kind)
    near = st.builds(lambda value: {top: value}, json_values) if top else st.dictionaries(
        st.sampled_from(["t1", "t2", "m1"]), json_values, max_size=3)
    return near | st.dictionaries(st.text(max_size=3), json_values, max_size=3)


def _first(kind):
    return next(exercise for exercise in shipped_exercises().values() if exercise.kind == kind)


@pytest.mark.parametrize("kind", KINDS)
def test_any_answer_is_graded_or_refused_naming_the_problem(kind):
    exercise = _first(kind)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_shapes(kind))
    def check(answer):
        try:
            result = grade(exercise, answer)
        except AnswerError as refusal:
            assert str(refusal)
        else:
            assert 0.0 <= result.score <= 1.0

    check()
