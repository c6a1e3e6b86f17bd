"""Automatic log-off after idle minutes, the desk's log-off URL, and the headers on every page."""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from chartdesk.accounts.middleware import LAST_ACTIVITY_KEY
from tests.accounts.helpers import events
from tests.support.factories import make_user

pytestmark = pytest.mark.django_db


def idle_for(client, minutes: float) -> None:
    session = client.session
    session[LAST_ACTIVITY_KEY] = time.time() - minutes * 60
    session.save()


def test_a_session_idle_longer_than_the_limit_is_logged_off_and_the_logoff_audited_once(client_for):
    admin = make_user("administrator")
    client = client_for(admin)
    assert client.get("/accounts/users/").status_code == 200

    idle_for(client, settings.IDLE_LOGOFF_MINUTES + 1)
    response = client.get("/accounts/users/?page=2")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Faccounts%2Fusers%2F%3Fpage%3D2"
    logout = events("logout", user=admin).get()
    assert logout.detail == {"reason": "idle", "idle_minutes": settings.IDLE_LOGOFF_MINUTES}
    assert client.get("/accounts/users/")["Location"].startswith("/accounts/login/")


def test_activity_within_the_limit_keeps_the_session(client_for):
    admin = make_user("administrator")
    client = client_for(admin)
    client.get("/")

    idle_for(client, settings.IDLE_LOGOFF_MINUTES - 1)

    assert client.get("/accounts/users/").status_code == 200
    assert not events("logout").exists()


def test_the_idle_limit_is_configurable(client_for, settings):
    settings.IDLE_LOGOFF_MINUTES = 2
    client = client_for(make_user("administrator"))
    client.get("/")

    idle_for(client, 3)

    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_the_desk_timer_posts_to_the_logout_url_and_lands_on_the_login_page(client_for):
    admin = make_user("administrator")
    client = client_for(admin)
    page = client.get("/accounts/users/").content.decode()
    assert 'data-logout-url="/accounts/logout/"' in page
    assert f'data-idle-logoff-seconds="{settings.IDLE_LOGOFF_MINUTES * 60}"' in page

    # The desk posts when its own timer runs out, a moment before or after the server's limit.
    response = client.post("/accounts/logout/?reason=idle")

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert events("logout", user=admin).get().detail == {"reason": "idle"}
    assert "_auth_user_id" not in client.session


def test_a_desk_timer_post_after_the_server_limit_logs_off_once_without_a_return_to_logout(client_for):
    admin = make_user("administrator")
    client = client_for(admin)
    client.get("/")
    idle_for(client, settings.IDLE_LOGOFF_MINUTES + 0.2)

    response = client.post("/accounts/logout/?reason=idle")

    assert response["Location"] == "/accounts/login/"
    assert events("logout", user=admin).count() == 1


def test_logging_out_asks_to_confirm_on_get_and_logs_out_on_post(client_for):
    admin = make_user("administrator")
    client = client_for(admin)

    confirm = client.get("/accounts/logout/")
    assert confirm.status_code == 200
    assert "_auth_user_id" in client.session

    done = client.post("/accounts/logout/")
    assert done["Location"] == "/accounts/login/"
    assert events("logout", user=admin).get().detail == {"reason": "user"}
    assert "_auth_user_id" not in client.session


def test_every_page_carries_no_store_and_the_security_headers(client_for):
    client = client_for(make_user("administrator"))

    for path in ("/", "/accounts/users/", "/audit/", "/audit/patient/?mrn=MRN1"):
        response = client.get(path)
        assert "no-store" in response["Cache-Control"], path
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["X-Frame-Options"] == "DENY", path
        assert "script-src 'self'" in response["Content-Security-Policy"], path
        assert "frame-ancestors" in response["Content-Security-Policy"], path
        assert response["Referrer-Policy"] == "same-origin", path


def test_the_login_page_is_not_cached_either(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert 'autocomplete="current-password"' in response.content.decode()


def test_a_patients_chart_and_search_pages_are_never_stored_by_the_browser(client_for, patient):
    from django.urls import reverse

    client = client_for(make_user("registrar"))

    for path in (reverse("charts-chart", kwargs={"patient_id": patient.pk}), f"{reverse('patients-search')}?q=Garcia"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert patient.mrn in response.content.decode(), path
        assert response["Cache-Control"] == "no-store, private", path
        assert response["Pragma"] == "no-cache", path


def test_stay_signed_in_restarts_the_idle_clock(client_for):
    client = client_for(make_user("registrar"))
    page = client.get("/").content.decode()
    assert 'data-stay-url="/accounts/session/stay/"' in page
    assert 'role="alertdialog"' in page and "Stay signed in</button>" in page
    idle_for(client, settings.IDLE_LOGOFF_MINUTES - 1)
    response = client.post("/accounts/session/stay/")
    assert response.status_code == 200
    assert response.json() == {"idle_logoff_seconds": settings.IDLE_LOGOFF_MINUTES * 60}
    assert time.time() - client.session[LAST_ACTIVITY_KEY] < 5
    idle_for(client, 2)  # two more minutes: past the first limit counted from before the click
    assert client.get("/accounts/password/").status_code == 200


def test_stay_signed_in_cannot_revive_a_session_already_past_its_limit(client_for):
    user = make_user("coder")
    client = client_for(user)
    client.get("/")
    idle_for(client, settings.IDLE_LOGOFF_MINUTES + 1)
    response = client.post("/accounts/session/stay/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert events("logout", user=user).get().detail["reason"] == "idle"
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_stay_signed_in_takes_only_a_post_from_a_signed_in_user(client, client_for):
    assert client.post("/accounts/session/stay/")["Location"].startswith("/accounts/login/")
    assert client_for(make_user("roi")).get("/accounts/session/stay/").status_code == 405
    assert 'data-idle-warning' not in client.get("/accounts/login/").content.decode()
