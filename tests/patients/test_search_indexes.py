"""A name search reads its rows from the covering name indexes alone: no lookup of each name row and no
join to the patient table (which is what made a common family name slow at a million patients)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chartdesk.patients import search
from chartdesk.patients.models import PatientName
from chartdesk.patients.search import NAME_FIELDS, TypedName, search_patients
from tests.support import factories

pytestmark = pytest.mark.django_db


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # PostgreSQL plans a table of a few rows by size, not by what an index holds, and prefers an
            # index-only scan only once VACUUM has marked the pages visible (a test's transaction cannot).
            # With every other access path off, only an index holding every column the query reads can
            # answer it: the plan then names the index that covers the search, or shows none does.
            for path in ("seqscan", "indexscan", "bitmapscan"):
                cursor.execute(f"SET LOCAL enable_{path} = off")
        cursor.execute(f"EXPLAIN {'QUERY PLAN ' if connection.vendor == 'sqlite' else ''}{sql}", params)
        return " ".join(str(part) for row in cursor.fetchall() for part in row)


@pytest.fixture
def smiths(db):
    return [factories.make_patient(given, "Smith", date(1960 + n, 1, 2), "F" if n % 2 else "M")
            for n, given in enumerate(["John", "Jane", "Joan", "William"])]


def family_prefix_rows():
    # The query family_rows runs for "smith john": family names starting "smith", given name plausible.
    family, given = TypedName.of("smith"), TypedName.of("john")
    condition = search._starts_with("family_key", family.key) & search._plausible_given(given)
    return PatientName.objects.filter(condition).order_by("family_key").values_list(*NAME_FIELDS)[:400]


def given_prefix_rows():
    condition = search._starts_with("given_key", "jo")
    return PatientName.objects.filter(condition).order_by("given_key").values_list(*NAME_FIELDS)[:400]


def test_family_name_rows_come_from_the_family_covering_index(smiths):
    plan = plan_of(family_prefix_rows())
    if connection.vendor == "sqlite":
        assert "USING COVERING INDEX patients_name_family_cover" in plan
    else:
        assert "Index Only Scan using patients_name_family_cover" in plan


def test_given_name_rows_come_from_the_given_covering_index(smiths):
    plan = plan_of(given_prefix_rows())
    if connection.vendor == "sqlite":
        assert "USING COVERING INDEX patients_name_given_cover" in plan
    else:
        assert "Index Only Scan using patients_name_given_cover" in plan


def test_a_name_search_reads_name_rows_without_joining_the_patient_table(smiths, users):
    with CaptureQueriesContext(connection) as queries:
        hits = search_patients(users["registrar"], "smith john")
    assert hits[0].patient == smiths[0]
    name_queries = [q["sql"] for q in queries.captured_queries if "patients_patientname" in q["sql"]]
    assert name_queries
    assert not [sql for sql in name_queries if "JOIN" in sql.upper()]


def test_a_typed_birth_date_lifts_a_name_match_beyond_the_capped_date_lookup(smiths, users, monkeypatch):
    # Three other patients share John Smith's birth date; with the date lookup capped at one row,
    # John's date must still count, found through his name.
    for given in ("Ann", "Bob", "Cy"):
        factories.make_patient(given, "Adams", date(1960, 1, 2), "M")
    monkeypatch.setattr(search, "ROW_CAP", 1)
    hits = search_patients(users["registrar"], "smith 01/02/1960")
    assert hits[0].patient == smiths[0]
    assert "date of birth" in hits[0].reasons
    assert [hit.patient for hit in hits if "date of birth" not in hit.reasons] == smiths[1:]
