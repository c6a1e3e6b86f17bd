"""`chartdesk check --deploy` in production names the demo log-ins left in the database."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from chartdesk.core.demo.load import DEMO_PASSWORD
from tests.support.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.MODE = "production"
    return settings


def deploy_check_errors() -> str:
    with pytest.raises(SystemCheckError) as refused:
        call_command("check", "--deploy", "--tag", "security")
    return str(refused.value)


def test_an_active_demo_user_is_named(production):
    make_user("coder", username="coder", email="coder@example.org")

    errors = deploy_check_errors()

    assert "chartdesk.E003" in errors
    assert "The demo users coder are active in a production database" in errors


def test_an_administrator_with_the_demo_password_is_named(production):
    admin = make_user("administrator", username="alice")
    admin.set_password(DEMO_PASSWORD)
    admin.save()

    errors = deploy_check_errors()

    assert "chartdesk.E004" in errors
    assert "The demo password is the password of alice" in errors


def test_a_deactivated_demo_user_passes(production):
    make_user("coder", username="coder", email="coder@example.org")
    call_command("deactivate_user", "coder")

    call_command("check", "--deploy", "--tag", "security")  # raises on any error


def test_demo_mode_keeps_its_demo_users(settings):
    make_user("coder", username="coder", email="coder@example.org")
    call_command("check", "--deploy", "--tag", "security")


def test_deactivate_user_names_an_unknown_account():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="There is no user 'nobody'; nothing was deactivated"):
        call_command("deactivate_user", "nobody")
