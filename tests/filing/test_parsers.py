"""Property tests of the file-room parsers: any text gets a clear refusal or a valid result, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartdesk.core.errors import ChartdeskError
from chartdesk.filing.scanning import parse_split, runs_between_separators


@given(st.text(max_size=40), st.integers(min_value=1, max_value=50))
def test_any_split_text_is_refused_clearly_or_gives_increasing_starts_from_page_one(text, pages):
    try:
        starts = parse_split(text, pages)
    except ChartdeskError as refusal:
        assert refusal.field == "starts" and refusal.message
        return
    assert starts[0] == 1 and starts == sorted(set(starts)) and starts[-1] <= pages


@given(st.integers(min_value=1, max_value=60), st.sets(st.integers(min_value=1, max_value=60)))
def test_separator_runs_cover_every_page_that_is_not_a_separator_once(pages, separators):
    inside = sorted(page for page in separators if page <= pages)
    runs = runs_between_separators(pages, inside)
    covered = [page for first, last in runs for page in range(first, last + 1)]
    assert covered == [page for page in range(1, pages + 1) if page not in inside]


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_any_expected_visits_file_is_refused_clearly_or_imported(users, text):
    from chartdesk.filing.actions import do_import_expected_visits

    try:
        do_import_expected_visits(text, acting_user=users["registrar"])
    except ChartdeskError as refusal:
        assert refusal.field == "file" and refusal.message
