"""Whole numbers read from query strings and forms: out-of-range or overlong values are form errors or
"not found" on every desk page that reads one, never a server error (issue 11, item 16)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chartdesk.core.forms import MAX_ID, whole_number
from tests.support import factories

pytestmark = pytest.mark.django_db

BEYOND_THE_DATABASE = "9" * 25  # fits int(), overflows a 64-bit database integer
BEYOND_INT = "9" * 5000  # int() itself refuses more than 4,300 digits


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30) | st.integers(min_value=0, max_value=10**30).map(str))
def test_whole_number_is_a_database_sized_number_or_none(raw):
    value = whole_number(raw)
    assert value is None or 0 <= value <= MAX_ID
    if value is not None:
        assert int(raw.strip()) == value


@pytest.mark.parametrize(("raw", "high", "expected"), [
    ("42", MAX_ID, 42), (" 7 ", MAX_ID, 7), ("", MAX_ID, None), ("٣", MAX_ID, None), ("-1", MAX_ID, None),
    ("3651", 3650, None), ("0003650", 3650, 3650), (BEYOND_THE_DATABASE, MAX_ID, None), (BEYOND_INT, MAX_ID, None),
])
def test_whole_number_bounds(raw, high, expected):
    assert whole_number(raw, high=high) == expected


@pytest.mark.parametrize("coder", [BEYOND_THE_DATABASE, BEYOND_INT])
def test_coding_queue_answers_a_huge_coder_id_with_a_form_error(client_for, users, coder):
    response = client_for(users["coder"]).get("/coding/work/", {"coder": coder})
    assert response.status_code == 200
    assert "Coder: choose one from the list." in response.content.decode()


def test_coding_queue_answers_a_huge_number_of_days_with_a_form_error(client_for, users):
    response = client_for(users["coder"]).get("/coding/work/", {"min_days": BEYOND_INT})
    assert response.status_code == 200
    assert "Days waiting: give a whole number of days (0 to 3650)." in response.content.decode()


def test_encoder_ignores_an_overlong_encounter_or_revision(client_for, users):
    response = client_for(users["coder"]).get("/coding/work/encoder/", {"q": "pneumonia", "encounter": BEYOND_INT,
                                                                        "revision": BEYOND_INT})
    assert response.status_code == 200
    assert response.context["encounter_id"] is None
    assert response.context["revision"] == ""


def test_new_note_ignores_an_overlong_encounter(client_for, users):
    patient = factories.make_patient()
    response = client_for(users["provider"]).get(f"/charts/patient/{patient.pk}/notes/new/",
                                                 {"encounter": BEYOND_INT})
    assert response.status_code == 200
    assert "encounter" not in response.context["form"].initial


def test_retention_destruction_with_overlong_patient_ids_destroys_nothing(client_for, users):
    from chartdesk.filing.models import DestructionCertificate

    response = client_for(users["him_manager"]).post(
        "/filing/retention/", {"patient": [BEYOND_INT, BEYOND_THE_DATABASE], "method": "shredding",
                               "witness": "W. Witness", "note": ""})
    assert response.status_code == 400
    assert not DestructionCertificate.objects.exists()
