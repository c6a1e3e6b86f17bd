"""`chartdesk createuser` and `chartdesk permissions-doc`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from chartdesk.accounts.docs import render_permission_matrix
from chartdesk.accounts.roles import ROLES, SANDBOX_ONLY_ROLES, role_of
from tests.accounts.helpers import events

REPO = Path(__file__).resolve().parents[2]
GOOD_PASSWORD = "tidal-quarry-58-lantern"


@pytest.mark.django_db
def test_createuser_creates_a_user_with_the_role_and_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", GOOD_PASSWORD)
    out = io.StringIO()

    call_command("createuser", "hannah", "--role", "him_manager", "--password-from-env", "NEW_PASSWORD",
                 "--full-name", "Hannah Arendt", "--email", "hannah@example.org", stdout=out)

    user = get_user_model().objects.get(username="hannah")
    assert out.getvalue() == "Created hannah with the role him_manager.\n"
    assert (role_of(user), user.first_name, user.last_name, user.email) == (
        "him_manager", "Hannah", "Arendt", "hannah@example.org"
    )
    assert user.check_password(GOOD_PASSWORD)
    created = events("create", object_type="user", object_id=str(user.pk)).get()
    assert (created.channel, created.user_id, created.detail["role"]) == ("cli", None, "him_manager")


@pytest.mark.django_db
def test_createuser_for_a_provider_creates_the_clinician_record_with_the_npi(monkeypatch):
    from chartdesk.charts.models import Provider

    monkeypatch.setenv("NEW_PASSWORD", GOOD_PASSWORD)

    call_command("createuser", "drgrey", "--role", "provider", "--password-from-env", "NEW_PASSWORD",
                 "--full-name", "Meredith Grey", "--npi", "1234567893", "--credentials", "MD", stdout=io.StringIO())

    provider = Provider.objects.get(user__username="drgrey")
    assert (provider.given_name, provider.family_name, provider.npi) == ("Meredith", "Grey", "1234567893")


@pytest.mark.django_db
def test_createuser_refuses_an_unknown_role_and_lists_the_roles(monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", GOOD_PASSWORD)

    with pytest.raises(CommandError) as refusal:
        call_command("createuser", "x", "--role", "janitor", "--password-from-env", "NEW_PASSWORD")

    message = str(refusal.value)
    assert "There is no role 'janitor'" in message
    assert all(role.slug in message for role in ROLES if role.slug not in SANDBOX_ONLY_ROLES)
    assert not get_user_model().objects.filter(username="x").exists()


@pytest.mark.django_db
def test_createuser_refuses_the_sandbox_only_trainee_role(monkeypatch):
    # A trainee in the main database would hold a student's desk permissions over real patients.
    monkeypatch.setenv("NEW_PASSWORD", GOOD_PASSWORD)
    with pytest.raises(CommandError, match="There is no role 'trainee'"):
        call_command("createuser", "x", "--role", "trainee", "--password-from-env", "NEW_PASSWORD")
    assert not get_user_model().objects.filter(username="x").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "environment", "message"),
    [
        (["--password-from-env", "MISSING_VAR"], {}, "MISSING_VAR is not set"),
        (["--password-from-env", "NEW_PASSWORD"], {"NEW_PASSWORD": "12345"}, "The password was refused"),
        (["--npi", "1234567893", "--password-from-env", "NEW_PASSWORD"], {"NEW_PASSWORD": GOOD_PASSWORD},
         "--npi is for the provider role only"),
    ],
)
def test_createuser_explains_bad_input_and_creates_nothing(arguments, environment, message, monkeypatch):
    monkeypatch.delenv("MISSING_VAR", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(CommandError, match=message):
        call_command("createuser", "newbie", "--role", "coder", *arguments)

    assert not get_user_model().objects.filter(username="newbie").exists()


@pytest.mark.django_db
def test_createuser_refuses_a_taken_user_name(monkeypatch):
    from tests.support.factories import make_user

    make_user("coder", username="taken")
    monkeypatch.setenv("NEW_PASSWORD", GOOD_PASSWORD)

    with pytest.raises(CommandError, match="already taken"):
        call_command("createuser", "TAKEN", "--role", "coder", "--password-from-env", "NEW_PASSWORD")


def test_docs_permissions_md_is_the_matrix_generated_from_the_roles_table():
    documented = (REPO / "docs" / "permissions.md").read_text(encoding="utf-8")

    assert documented == render_permission_matrix(), (
        "docs/permissions.md is out of date: run `chartdesk permissions-doc > docs/permissions.md`"
    )


def test_the_permissions_doc_command_prints_the_matrix():
    out = io.StringIO()

    call_command("permissions-doc".replace("-", "_"), stdout=out)

    assert out.getvalue() == render_permission_matrix()
    assert "| `audit.export_audit` | Export audit reports as CSV |" in out.getvalue()
