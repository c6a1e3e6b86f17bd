"""Fixtures of the chart-completion tests: an inpatient stay with an attending who signs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from chartdesk.charts.actions import do_add_care_team_member, do_create_note, do_discharge_encounter
from chartdesk.charts.models import CareRole
from tests.support import factories


def fresh(user: Any) -> Any:
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def attending(users: dict[str, Any]) -> Any:
    """The provider-role user, linked to Dr Ada Lovelace, MD."""
    factories.make_provider("Ada", "Lovelace", user=users["provider"], credentials="MD")
    return fresh(users["provider"])


@pytest.fixture
def surgeon(db: Any) -> Any:
    user = factories.make_user("provider")
    factories.make_provider("Grace", "Hopper", user=user, credentials="MD", npi="1245319599")
    return fresh(user)


@pytest.fixture
def nurse_practitioner(db: Any) -> Any:
    user = factories.make_user("provider")
    factories.make_provider("Nia", "Practitioner", user=user, credentials="NP", npi="1982746371")
    return fresh(user)


@pytest.fixture
def stay(patient: Any, users: dict[str, Any], attending: Any) -> Any:
    """An inpatient stay admitted five days ago with Dr Lovelace attending, still in progress."""
    return factories.make_encounter(
        patient, "inpatient", admit_at=timezone.now() - timedelta(days=5), acting_user=users["registrar"],
        attending=attending.provider,
    )


def note(stay: Any, author_user: Any, document_type: str, *, days_after_admit: int = 0, title: str = "Note") -> Any:
    return do_create_note(
        stay.patient, document_type=document_type, title=title, text="Synthetic text.",
        service_date=timezone.localtime(stay.admit_at).date() + timedelta(days=days_after_admit),
        acting_user=author_user, encounter=stay, author=author_user.provider,
    )


def discharge(stay: Any, registrar: Any, *, hours_ago: int = 1) -> Any:
    return do_discharge_encounter(stay, discharge_at=timezone.now() - timedelta(hours=hours_ago), disposition="01",
                                  acting_user=registrar)


def add_surgeon(stay: Any, surgeon: Any, registrar: Any) -> Any:
    return do_add_care_team_member(stay, surgeon.provider, CareRole.SURGEON, acting_user=registrar)
