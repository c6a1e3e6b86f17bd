"""Users change their own password: the old one is checked, the rules apply, and it is audited."""

from __future__ import annotations

import pytest

from chartdesk.accounts.actions import do_change_own_password
from chartdesk.core.errors import ChartdeskError
from tests.accounts.helpers import events
from tests.support.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "amber-harbor-lantern-42"


def test_a_coder_changes_their_password_and_stays_signed_in(client_for):
    coder = make_user("coder")
    client = client_for(coder)

    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert response.status_code == 302
    coder.refresh_from_db()
    assert coder.check_password(NEW_PASSWORD)
    assert client.get("/").status_code == 200  # the session survived the change
    changed = events("update", object_type="user", object_id=str(coder.pk)).get()
    assert changed.detail == {"changed": "password"}
    assert NEW_PASSWORD not in str(changed.detail)


@pytest.mark.parametrize(("old", "new1", "new2", "problem"), [
    ("wrong-old-password", NEW_PASSWORD, NEW_PASSWORD, b"Your old password was entered incorrectly"),
    (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", b"didn\xe2\x80\x99t match"),
    (PASSWORD, "short", "short", b"too short"),
    (PASSWORD, "12345678901234", "12345678901234", b"entirely numeric"),
])
def test_a_bad_password_change_says_why_and_changes_nothing(client_for, old, new1, new2, problem):
    coder = make_user("coder")
    response = client_for(coder).post("/accounts/password/", {
        "old_password": old, "new_password1": new1, "new_password2": new2,
    })

    assert response.status_code == 400
    assert problem in response.content
    coder.refresh_from_db()
    assert coder.check_password(PASSWORD)
    assert not events("update", object_type="user", object_id=str(coder.pk)).exists()


def test_nobody_changes_another_users_password_through_the_action():
    coder, admin = make_user("coder"), make_user("administrator")
    with pytest.raises(ChartdeskError):
        do_change_own_password(coder, NEW_PASSWORD, acting_user=admin)
    coder.refresh_from_db()
    assert not coder.check_password(NEW_PASSWORD)


def test_the_password_page_needs_a_signed_in_user(client):
    response = client.get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
