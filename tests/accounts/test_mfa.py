"""TOTP multi-factor authentication: required per role, enrolment with a QR code, codes checked."""

from __future__ import annotations

import base64

import pytest
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from chartdesk.accounts.actions import do_reset_mfa, do_set_role_mfa, is_locked_out
from tests.accounts.helpers import events, log_in, totp_code
from tests.support.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def mfa_for_administrators(db):
    do_set_role_mfa("administrator", True, acting_user=None)


@pytest.fixture
def no_throttle(settings):
    # django-otp also slows down guessing (1 s, 2 s, 4 s... after wrong codes); these tests send the
    # codes back to back, and the lock-out is what they check.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def enrolled(user):
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return device


def test_the_password_alone_does_not_log_in_a_user_whose_role_requires_mfa(client, mfa_for_administrators):
    make_user("administrator", username="ada")

    response = log_in(client, "ada", PASSWORD)

    assert response["Location"] == "/accounts/mfa/"
    assert "_auth_user_id" not in client.session
    home = client.get("/")
    assert home.status_code == 302 and home["Location"].startswith("/accounts/login/")


def test_a_first_login_enrols_a_device_with_a_qr_code_and_a_key_then_a_code_completes_it(
    client, mfa_for_administrators
):
    ada = make_user("administrator", username="ada")
    log_in(client, "ada", PASSWORD)

    page = client.get("/accounts/mfa/")

    body = page.content.decode()
    device = TOTPDevice.objects.get(user=ada)
    assert device.confirmed is False
    assert "<svg" in body and "QR code for your authenticator app" in body
    manual_key = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert " ".join(manual_key[i : i + 4] for i in range(0, len(manual_key), 4)) in body
    assert client.get("/accounts/mfa/").content.decode().count(manual_key[:4]) >= 1  # same key on reload
    assert TOTPDevice.objects.filter(user=ada).count() == 1

    done = client.post("/accounts/mfa/?enrol=1", {"code": totp_code(device)})

    assert done.status_code == 302 and done["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get("/").status_code == 200
    assert events("mfa", user=ada, outcome="success").last().detail["step"] == "enrolled a device"
    assert events("login", user=ada).count() == 1


def test_an_enrolled_user_logs_in_with_the_code_their_app_shows(client, mfa_for_administrators):
    ada = make_user("administrator", username="ada")
    device = enrolled(ada)
    log_in(client, "ada", PASSWORD, REMOTE_ADDR="192.0.2.10")

    page = client.get("/accounts/mfa/")
    assert "Enter your one-time code" in page.content.decode()
    assert "<svg" not in page.content.decode()

    response = client.post("/accounts/mfa/", {"code": totp_code(device)}, REMOTE_ADDR="192.0.2.10")

    assert response.status_code == 302
    assert client.get("/accounts/users/").status_code == 200
    accepted = events("mfa", user=ada, outcome="success").last()
    assert (accepted.detail["result"], accepted.client_address) == ("accepted", "192.0.2.10")


def test_a_wrong_code_is_refused_and_recorded(client, mfa_for_administrators, no_throttle):
    ada = make_user("administrator", username="ada")
    device = enrolled(ada)
    log_in(client, "ada", PASSWORD)

    wrong = f"{(int(totp_code(device)) + 1) % 1000000:06d}"
    response = client.post("/accounts/mfa/", {"code": wrong})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failure = events("mfa", user=ada, outcome="failure").get()
    assert failure.detail == {"step": "one-time code", "result": "wrong code"}
    assert not events("login_failed").exists()  # recorded once, as an MFA failure


def test_letters_in_the_code_are_refused_with_a_message(client, mfa_for_administrators):
    enrolled(make_user("administrator", username="ada"))
    log_in(client, "ada", PASSWORD)

    response = client.post("/accounts/mfa/", {"code": "12a456"})

    assert "The code is six digits, 0 to 9." in response.content.decode()
    assert not events("mfa", outcome="failure").exists()


def test_repeated_wrong_codes_lock_the_account(client, mfa_for_administrators, no_throttle):
    ada = make_user("administrator", username="ada")
    device = enrolled(ada)
    log_in(client, "ada", PASSWORD)
    wrong = f"{(int(totp_code(device)) + 5) % 1000000:06d}"

    statuses = [client.post("/accounts/mfa/", {"code": wrong}).status_code for _ in range(settings.LOCKOUT_ATTEMPTS)]

    assert statuses[-1] == 429
    assert is_locked_out("ada")
    assert events("locked_out", username="ada").exists()
    # Nobody is left half signed in, and the right password no longer opens the door.
    assert client.get("/accounts/mfa/")["Location"] == "/accounts/login/"
    assert log_in(Client(), "ada", PASSWORD).status_code == 429


def test_a_signed_in_user_whose_role_now_requires_mfa_sees_no_page_before_the_code(client_for):
    coder = make_user("administrator", username="ada")
    client = client_for(coder)
    assert client.get("/accounts/users/").status_code == 200

    do_set_role_mfa("administrator", True, acting_user=None)

    for path in ("/", "/accounts/users/", "/audit/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/mfa/?next="), path
    device = TOTPDevice.objects.create(user=coder, name="enrolling", confirmed=False)
    assert client.post("/accounts/mfa/", {"code": totp_code(device)}).status_code == 302
    assert client.get("/accounts/users/").status_code == 200


def test_a_user_whose_role_does_not_require_mfa_can_enrol_by_choice(client_for):
    ada = make_user("administrator", username="ada")
    client = client_for(ada)

    status = client.get("/accounts/mfa/")
    assert "Set up an authenticator app" in status.content.decode()

    client.get("/accounts/mfa/?enrol=1")
    device = TOTPDevice.objects.get(user=ada)
    assert client.post("/accounts/mfa/?enrol=1", {"code": totp_code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed

    # From now on this user, too, needs a code at log-in.
    client.post("/accounts/logout/")
    assert log_in(client, "ada", PASSWORD)["Location"] == "/accounts/mfa/"
    assert client.post("/accounts/mfa/", {"code": totp_code(device, steps_ahead=1)}).status_code == 302
    assert client.get("/accounts/users/").status_code == 200


def test_resetting_mfa_removes_the_device_and_the_next_login_enrols_again(client, mfa_for_administrators):
    ada = make_user("administrator", username="ada")
    enrolled(ada)
    other_admin = make_user("administrator")

    removed = do_reset_mfa(ada, acting_user=other_admin)

    assert removed == 1
    assert not TOTPDevice.objects.filter(user=ada).exists()
    assert events("mfa", object_id=str(ada.pk)).last().detail["change"] == "reset"
    log_in(client, "ada", PASSWORD)
    assert "Set up your authenticator app" in client.get("/accounts/mfa/").content.decode()


def test_the_mfa_page_without_a_password_first_sends_the_visitor_to_log_in(client):
    response = client.get("/accounts/mfa/")

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_starting_enrolment_records_the_new_device_once(client, mfa_for_administrators):
    ada = make_user("administrator", username="ada")
    log_in(client, "ada", PASSWORD)

    client.get("/accounts/mfa/")
    client.get("/accounts/mfa/")  # a reload shows the same device, created once

    device = TOTPDevice.objects.get(user=ada)
    started = events("mfa", user=ada, detail__step="enrolment started")
    assert [event.detail["device"] for event in started] == [device.pk]
    assert started.get().object_id == str(ada.pk)


def test_an_enrolment_whose_audit_event_fails_creates_no_device(client, mfa_for_administrators, monkeypatch):
    from chartdesk.accounts import actions as account_actions

    ada = make_user("administrator", username="ada")
    log_in(client, "ada", PASSWORD)
    monkeypatch.setattr(account_actions, "record_event", _audit_store_down)

    with pytest.raises(RuntimeError):
        client.get("/accounts/mfa/")

    assert not TOTPDevice.objects.filter(user=ada).exists()


def test_a_confirmation_whose_audit_event_fails_leaves_the_device_unconfirmed(
    client, mfa_for_administrators, monkeypatch
):
    from chartdesk.accounts import actions as account_actions

    ada = make_user("administrator", username="ada")
    log_in(client, "ada", PASSWORD)
    client.get("/accounts/mfa/")
    device = TOTPDevice.objects.get(user=ada)
    monkeypatch.setattr(account_actions, "record_event", _audit_store_down)

    with pytest.raises(RuntimeError):
        client.post("/accounts/mfa/?enrol=1", {"code": totp_code(device)})

    device.refresh_from_db()
    assert device.confirmed is False
    assert not events("mfa", user=ada, detail__step="enrolled a device").exists()


def _audit_store_down(*args, **kwargs):
    raise RuntimeError("audit store unavailable")
