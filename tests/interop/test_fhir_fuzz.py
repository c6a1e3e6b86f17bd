"""Property-based tests of the FHIR edges: file reading for import, search date values, validation."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chartdesk.charts.models import Encounter
from chartdesk.interop.fhir.common import SearchError, date_condition
from chartdesk.interop.fhir.sources import read_resources
from chartdesk.interop.fhir.validation import FhirInvalid, load_json, validate_resource
from chartdesk.patients.models import Patient


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=500))
def test_reading_any_bytes_yields_resources_or_problems_never_an_exception(tmp_path_factory, blob):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "data.ndjson").write_bytes(blob)
    (folder / "bundle.json").write_bytes(blob)
    problems: list = []
    for item in read_resources(folder, problems):
        assert isinstance(item.resource, dict)
    for problem in problems:
        assert problem.file in ("data.ndjson", "bundle.json")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_date_search_value_is_a_condition_or_a_search_error(value):
    try:
        date_condition("admit_at", value, "date")
    except SearchError as refused:
        assert refused.parameter == "date"


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                    lambda children: st.lists(children, max_size=3)
                    | st.dictionaries(st.text(max_size=8), children, max_size=3), max_leaves=10)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["Patient", "Condition", "Encounter", "Nope", None]),
       st.dictionaries(st.sampled_from(["name", "birthDate", "gender", "code", "subject", "status", "id"]), JSON,
                       max_size=4))
def test_validation_answers_with_element_paths_or_accepts(resource_type, fields):
    try:
        validate_resource({"resourceType": resource_type, **fields})
    except FhirInvalid as invalid:
        assert invalid.problems
        for path, message in invalid.problems:
            assert path and message


@pytest.mark.parametrize("value", ["2024", "2024-02", "2024-02-29", "ge2024-01-01T10:00:00Z", "lt2025"])
def test_well_formed_dates_become_conditions(value):
    assert date_condition("admit_at", value, "date")


@pytest.mark.django_db
@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["", "eq", "gt", "lt", "ge", "le"]),
       st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)) | st.sampled_from(
           [datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)]),
       st.integers(min_value=-12 * 60, max_value=14 * 60), st.sampled_from([4, 7, 10, 19, 26]))
def test_any_calendar_date_with_any_offset_is_a_query_the_database_answers(prefix, moment, offset, width):
    value = moment.isoformat(timespec="microseconds")[:width]
    if width > 10:
        sign = "+" if offset >= 0 else "-"
        value += f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    list(Encounter.objects.filter(date_condition("admit_at", prefix + value, "date")))
    list(Patient.objects.filter(date_condition("birth_date", prefix + value, "birthdate", date_only=True)))


HOSTILE_JSON = st.recursive(st.none() | st.integers(min_value=-(10**60), max_value=10**60) | st.floats()
                            | st.text(max_size=5),
                            lambda children: st.lists(children, max_size=2)
                            | st.dictionaries(st.sampled_from(["extension", "valueDecimal", "multipleBirthInteger",
                                                               "name", "url"]), children, max_size=2),
                            max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(HOSTILE_JSON, st.integers(min_value=0, max_value=3000))
def test_any_numbers_and_nesting_are_read_then_accepted_or_refused_with_element_paths(body, depth):
    text = json.dumps({"resourceType": "Patient", "extension": [{"url": "http://example.org/x", "extension": "@"}]})
    text = text.replace('"@"', "[" * depth + json.dumps(body) + "]" * depth)
    try:
        resource = load_json(text)
    except ValueError as unreadable:
        assert "nested too deeply" in str(unreadable)
        return
    try:
        validate_resource(resource)
    except FhirInvalid as invalid:
        for path, message in invalid.problems:
            assert path.startswith("Patient") and message
