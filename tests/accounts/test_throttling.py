"""Password guessing is throttled per account and per client address, and through the change-password
form as well as the log-in page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from chartdesk.accounts.actions import is_locked_out
from tests.accounts.helpers import events, log_in
from tests.support.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

GUESSER = "203.0.113.66"


def test_one_address_guessing_across_many_accounts_is_refused_once_it_reaches_the_address_limit(client):
    names = [make_user("coder", username=f"coder{n}").username for n in range(10)]
    make_user("registrar", username="rita")
    answers = []
    # 40 guesses, 4 at each of 10 accounts: no account reaches its own limit of 5.
    for guess in range(4):
        for name in names:
            answers.append(log_in(client, name, f"guess-{guess}", REMOTE_ADDR=GUESSER).status_code)

    limit = settings.LOCKOUT_ADDRESS_ATTEMPTS
    assert answers[: limit - 1] == [200] * (limit - 1)
    assert set(answers[limit - 1:]) == {429}
    assert not any(is_locked_out(name) for name in names)
    refused = log_in(client, "rita", PASSWORD, REMOTE_ADDR=GUESSER)  # even a right password from there
    assert refused.status_code == 429
    assert f"Log-ins from your address ({GUESSER}) are refused" in refused.content.decode()
    assert events("locked_out").exists()
    # The accounts themselves are not locked: from another address they log in.
    assert log_in(Client(), "rita", PASSWORD, REMOTE_ADDR="198.51.100.20").status_code == 302


def test_logging_in_as_oneself_does_not_wipe_failures_against_a_colleagues_account(client):
    make_user("coder", username="insider")
    make_user("registrar", username="victim")
    for _ in range(settings.LOCKOUT_ATTEMPTS - 1):
        log_in(Client(), "victim", "guess", REMOTE_ADDR=GUESSER)

    assert log_in(Client(), "insider", PASSWORD, REMOTE_ADDR=GUESSER).status_code == 302
    locking = log_in(Client(), "victim", "guess", REMOTE_ADDR=GUESSER)

    assert locking.status_code == 429
    assert is_locked_out("victim")


def test_a_users_own_success_forgives_their_own_typos(client):
    make_user("coder", username="cora")
    for _ in range(settings.LOCKOUT_ATTEMPTS - 1):
        log_in(Client(), "cora", "typo", REMOTE_ADDR=GUESSER)
    assert log_in(Client(), "cora", PASSWORD, REMOTE_ADDR=GUESSER).status_code == 302

    assert log_in(Client(), "cora", "typo", REMOTE_ADDR=GUESSER).status_code == 200


def test_wrong_old_passwords_on_the_change_form_lock_the_account_and_end_the_session(client_for):
    coder = make_user("coder", username="cora")
    client, other_desk = client_for(coder), client_for(coder)
    guess = {"old_password": "guess", "new_password1": "violet-harbor-93-anchor",
             "new_password2": "violet-harbor-93-anchor"}

    answers = [client.post("/accounts/password/", guess).status_code for _ in range(settings.LOCKOUT_ATTEMPTS)]

    assert answers == [400] * (settings.LOCKOUT_ATTEMPTS - 1) + [429]
    assert is_locked_out("cora")
    assert events("login_failed", username="cora").count() == settings.LOCKOUT_ATTEMPTS
    assert client.get("/")["Location"].startswith("/accounts/login/")  # the session ended
    coder.refresh_from_db()
    assert coder.check_password(PASSWORD)
    # The right old password does not help while the lock lasts, from another open session either.
    retry = other_desk.post("/accounts/password/", {**guess, "old_password": PASSWORD})
    assert retry.status_code == 429
    coder.refresh_from_db()
    assert coder.check_password(PASSWORD)
