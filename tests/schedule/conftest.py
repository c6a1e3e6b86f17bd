"""Fixtures of the front-office tests: a clinic in New York, a provider's schedule open 08:00-17:00
every day with lunch at 12:00, and two visit types (one that may be double-booked)."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from chartdesk.schedule.actions import (
    do_add_block,
    do_add_template_hours,
    do_create_clinic,
    do_create_schedule,
    do_save_visit_type,
)
from tests.interop.conftest import admin, api_token, fhir_as  # noqa: F401  (the FHIR API's client fixtures)
from tests.support import factories


@pytest.fixture
def clinic(users: dict[str, Any]) -> Any:
    return do_create_clinic(name="Internal medicine", time_zone="America/New_York", acting_user=users["him_manager"])


@pytest.fixture
def doctor(db: Any) -> Any:
    return factories.make_provider("Grace", "Hopper")


@pytest.fixture
def schedule(clinic: Any, doctor: Any, users: dict[str, Any]) -> Any:
    him = users["him_manager"]
    made = do_create_schedule(clinic, provider=doctor, acting_user=him)
    for weekday in range(7):
        do_add_template_hours(made, weekday=weekday, start_time=time(8), end_time=time(17), acting_user=him)
        do_add_block(made, kind="lunch", weekday=weekday, start_time=time(12), end_time=time(13), acting_user=him)
    return made


@pytest.fixture
def follow_up(users: dict[str, Any]) -> Any:
    return do_save_visit_type(code="FU", name="Follow-up", minutes=15, acting_user=users["him_manager"])


@pytest.fixture
def new_patient_visit(users: dict[str, Any]) -> Any:
    return do_save_visit_type(code="NEW", name="New patient", minutes=30, acting_user=users["him_manager"])


@pytest.fixture
def vaccine(users: dict[str, Any]) -> Any:
    return do_save_visit_type(code="SHOT", name="Vaccination", minutes=15, double_booking_allowed=True,
                              acting_user=users["him_manager"])
