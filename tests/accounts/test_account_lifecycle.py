"""An administrator resets a password (the user must choose their own next), deactivates an account;
the interface system account never logs in at the desk."""

from __future__ import annotations

import pytest
from django.test import Client

from chartdesk.accounts.models import PasswordReset
from tests.accounts.helpers import events, log_in
from tests.support.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

TEMPORARY = "copper-meadow-71-vessel"
OWN = "violet-harbor-93-anchor"


def reset(client: Client, user_id: int, password: str = TEMPORARY, again: str | None = None):
    return client.post(f"/accounts/users/{user_id}/password/",
                       {"new_password1": password, "new_password2": again or password})


def test_an_administrator_resets_a_password_and_the_user_must_choose_their_own_at_next_login(client_for):
    admin = make_user("administrator", username="ada")
    coder = make_user("coder", username="cora")
    coder_session = client_for(coder)
    assert coder_session.get("/").status_code == 200

    response = reset(client_for(admin), coder.pk)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/users/{coder.pk}/"
    audit = events("update", object_type="user", object_id=str(coder.pk)).get()
    assert (audit.username, audit.detail) == ("ada", {"username": "cora", "change": "password reset",
                                                      "must_change": True})
    assert TEMPORARY not in str(audit.detail)
    # The session cora had open ended with the old password.
    assert coder_session.get("/")["Location"].startswith("/accounts/login/")

    client = Client()
    assert log_in(client, "cora", PASSWORD).status_code == 200  # the old password is gone
    assert log_in(client, "cora", TEMPORARY).status_code == 302
    forced = client.get("/coding/")
    assert (forced.status_code, forced["Location"]) == (302, "/accounts/password/")
    page = client.get("/accounts/password/")
    assert "An administrator set your password" in page.content.decode()

    changed = client.post("/accounts/password/", {"old_password": TEMPORARY, "new_password1": OWN,
                                                  "new_password2": OWN})

    assert (changed.status_code, changed["Location"]) == (302, "/")
    assert client.get("/").status_code == 200
    assert PasswordReset.objects.get(user=coder).completed_at is not None


def test_a_weak_reset_password_is_refused_with_the_reason_and_changes_nothing(client_for):
    coder = make_user("coder")

    response = reset(client_for(make_user("administrator")), coder.pk, password="12345")

    assert response.status_code == 400
    assert "too short" in response.content.decode()
    coder.refresh_from_db()
    assert coder.check_password(PASSWORD)
    assert not PasswordReset.objects.exists()
    assert not events("update", object_type="user").exists()


def test_an_administrator_resets_neither_their_own_password_nor_the_interface_accounts(client_for):
    admin = make_user("administrator")
    interface = make_user("interface", username="system-interface")
    client = client_for(admin)

    own = reset(client, admin.pk)
    system = reset(client, interface.pk)

    assert own.status_code == 400
    assert "You cannot reset the password of your own account" in own.content.decode()
    assert system.status_code == 400
    assert "is a system account: nobody logs in with it" in system.content.decode()
    assert not PasswordReset.objects.exists()


def test_the_interface_account_cannot_log_in_at_the_desk_even_with_a_password(client):
    make_user("interface", username="system-interface")  # the factory gives it a password

    response = log_in(client, "system-interface", PASSWORD, REMOTE_ADDR="192.0.2.9")

    assert response.status_code == 200
    assert "The user name or password is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not events("login").exists()
    assert events("login_failed").get().username == "system-interface"


def test_a_deactivated_user_is_logged_off_and_cannot_log_in_again(client_for):
    coder = make_user("coder", username="cora")
    coder_session = client_for(coder)

    client_for(make_user("administrator")).post(f"/accounts/users/{coder.pk}/deactivate/")

    assert coder_session.get("/").status_code == 302
    assert log_in(Client(), "cora", PASSWORD).status_code == 200
