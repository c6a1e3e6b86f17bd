"""Synthetic people and records for tests. Everything goes through the real actions."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from chartdesk.accounts.roles import ROLES, SANDBOX_ONLY_ROLES, group_name

PASSWORD = "correct horse battery staple"
_serial = itertools.count(1)


def make_user(role: str | None = None, username: str | None = None, **fields: Any) -> Any:
    User = get_user_model()
    username = username or f"{role or 'user'}{next(_serial)}"
    user = User.objects.create_user(username=username, password=PASSWORD, **fields)
    if role:
        user.groups.add(Group.objects.get(name=group_name(role)))
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions or role


# The roles a user of the main database can hold: a trainee exists only inside a training sandbox
# (accounts.roles.SANDBOX_ONLY_ROLES), where it may do every job; in the main database it would be a
# second billing user, a second HIM manager... that no install ever has.
MAIN_ROLES = tuple(role for role in ROLES if role.slug not in SANDBOX_ONLY_ROLES)


def users_by_role() -> dict[str, Any]:
    return {role.slug: make_user(role.slug, username=f"{role.slug}-{next(_serial)}") for role in MAIN_ROLES}


def _registrar() -> Any:
    User = get_user_model()
    existing = User.objects.filter(username="factory-registrar").first()
    return existing or make_user("registrar", username="factory-registrar")


def make_patient(
    given_name: str = "Maria",
    family_name: str = "Garcia",
    birth_date: date = date(1980, 3, 15),
    sex: str = "F",
    acting_user: Any = None,
    **fields: Any,
) -> Any:
    from chartdesk.patients.actions import do_register_patient
    from chartdesk.patients.schemas import PatientRegistration

    registration = PatientRegistration(
        given_name=given_name, family_name=family_name, birth_date=birth_date, sex=sex, **fields
    )
    return do_register_patient(registration, acting_user=acting_user or _registrar())


def make_provider(given_name: str = "Ada", family_name: str = "Lovelace", user: Any = None, **fields: Any) -> Any:
    from chartdesk.charts.models import Provider

    fields.setdefault("credentials", "MD")
    fields.setdefault("npi", "1234567893")
    return Provider.objects.create(given_name=given_name, family_name=family_name, user=user, **fields)


def make_encounter(patient: Any, encounter_class: str = "outpatient", admit_at: datetime | None = None,
                   acting_user: Any = None, **fields: Any) -> Any:
    from chartdesk.charts.actions import do_open_encounter

    return do_open_encounter(
        patient,
        encounter_class=encounter_class,
        admit_at=admit_at or timezone.now(),
        acting_user=acting_user or _registrar(),
        **fields,
    )
