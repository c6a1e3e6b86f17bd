"""Ids read from posted forms never raise, whatever the field holds."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from chartdesk.core.forms import posted_id


@pytest.mark.parametrize(("raw", "expected"), [
    ("42", 42), (" 7 ", 7), ("", 0), ("abc", 0), ("²", 0), ("-3", 0), ("1" * 19, 0), ("9" * 18, 999999999999999999),
])
def test_posted_ids_are_numbers_or_zero(raw, expected):
    request = RequestFactory().post("/", {"room": raw})
    assert posted_id(request, "room") == expected


def test_a_missing_field_is_zero():
    assert posted_id(RequestFactory().post("/", {}), "room") == 0
