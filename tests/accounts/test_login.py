"""Logging in: success and failure are audited with the client address; repeated failures lock."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from chartdesk.accounts.actions import do_deactivate_user, do_unlock_user, is_locked_out
from tests.accounts.helpers import events, log_in
from tests.support.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_a_correct_password_logs_in_and_records_the_login_with_the_client_address(client):
    admin = make_user("administrator", username="ada")

    response = log_in(client, "ada", PASSWORD, REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 302
    assert response["Location"] == "/"
    login = events("login").get()
    assert (login.username, login.user_id, login.role, login.client_address, login.outcome) == (
        "ada", admin.pk, "administrator", "203.0.113.7", "success"
    )
    assert client.get("/").status_code == 200


def test_a_wrong_password_is_refused_with_a_message_and_recorded_as_a_failed_login(client):
    make_user("coder", username="carl")

    response = log_in(client, "carl", "not the password", REMOTE_ADDR="198.51.100.4")

    assert response.status_code == 200
    assert "The user name or password is not right" in response.content.decode()
    failed = events("login_failed").get()
    assert (failed.username, failed.user_id, failed.client_address, failed.outcome) == (
        "carl", None, "198.51.100.4", "failure"
    )
    assert not events("login").exists()
    assert "_auth_user_id" not in client.session


def test_an_empty_form_names_the_missing_fields_and_counts_no_failure(client):
    response = client.post("/accounts/login/", {"username": "", "password": ""})

    body = response.content.decode()
    assert "Enter your user name." in body
    assert "Enter your password." in body
    assert not events("login_failed").exists()


def test_the_account_locks_after_the_configured_number_of_failures_and_the_lockout_is_audited(client):
    make_user("registrar", username="rita")

    for _ in range(settings.LOCKOUT_ATTEMPTS - 1):
        assert log_in(client, "rita", "wrong guess").status_code == 200
    locking = log_in(client, "rita", "wrong guess")

    assert locking.status_code == 429
    body = locking.content.decode()
    assert f"locked for {settings.LOCKOUT_MINUTES} minutes" in body
    assert "an administrator can unlock it" in body
    locked = events("locked_out").get()
    assert (locked.username, locked.outcome, locked.detail["failures"]) == (
        "rita", "denied", settings.LOCKOUT_ATTEMPTS
    )
    assert is_locked_out("rita")

    # Even the right password is refused while the lock lasts, and that attempt is recorded too.
    refused = log_in(client, "rita", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    assert events("locked_out").count() == 2


def test_an_administrator_unlocks_a_locked_account_and_the_user_can_log_in_again(client):
    admin = make_user("administrator")
    rita = make_user("registrar", username="rita")
    for _ in range(settings.LOCKOUT_ATTEMPTS):
        log_in(client, "rita", "wrong guess")
    assert is_locked_out("rita")

    cleared = do_unlock_user(rita, acting_user=admin)

    assert cleared >= 1
    assert not is_locked_out("rita")
    unlock = events("update", object_type="user", object_id=str(rita.pk)).get()
    assert (unlock.username, unlock.detail["change"]) == (admin.username, "unlocked")
    assert log_in(Client(), "rita", PASSWORD).status_code == 302


def test_the_lockout_is_per_user_name_so_other_accounts_still_log_in(client):
    make_user("registrar", username="rita")
    make_user("administrator", username="otto")
    for _ in range(settings.LOCKOUT_ATTEMPTS):
        log_in(client, "rita", "wrong guess")

    assert log_in(client, "otto", PASSWORD).status_code == 302


def test_a_deactivated_user_cannot_log_in(client):
    admin = make_user("administrator")
    coder = make_user("coder", username="cora")
    do_deactivate_user(coder, acting_user=admin)

    response = log_in(client, "cora", PASSWORD)

    assert response.status_code == 200
    assert "The user name or password is not right" in response.content.decode()


def test_after_login_the_user_returns_to_the_page_they_asked_for_but_never_to_another_site(client):
    make_user("administrator", username="ada")

    inside = client.post("/accounts/login/?next=/accounts/users/", {"username": "ada", "password": PASSWORD})
    assert inside["Location"] == "/accounts/users/"

    outside = Client().post(
        "/accounts/login/", {"username": "ada", "password": PASSWORD, "next": "https://evil.example/steal"}
    )
    assert outside["Location"] == "/"


def test_anonymous_visitors_are_sent_to_log_in_before_any_page(client):
    for path in ("/", "/accounts/users/", "/audit/", "/audit/patient/?mrn=1", "/accounts/logout/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path


def test_the_axes_lockout_page_used_outside_the_login_view_says_how_long_and_who_can_unlock(rf):
    from datetime import timedelta

    from django.template.loader import render_to_string

    page = render_to_string(
        "accounts/locked_out.html",
        {"username": "rita", "failure_limit": 5, "cooloff_timedelta": timedelta(minutes=30)},
        request=rf.get("/"),
    )

    assert "“rita” is locked after 5 failed attempts to log in, for 0:30:00" in page
    assert "an administrator can unlock it" in page
