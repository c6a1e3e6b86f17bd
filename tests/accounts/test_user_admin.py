"""User administration: only administrators, every change audited, users never deleted."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from chartdesk.accounts.actions import do_change_role, do_create_user, do_deactivate_user
from chartdesk.accounts.models import RolePolicy
from chartdesk.accounts.roles import group_name, role_of
from chartdesk.core.errors import ChartdeskError
from tests.accounts.helpers import events
from tests.support.factories import MAIN_ROLES, make_user

pytestmark = pytest.mark.django_db

NON_ADMIN_ROLES = [role.slug for role in MAIN_ROLES if role.slug != "administrator"]
GOOD_PASSWORD = "tidal-quarry-58-lantern"


def admin_requests(target_id: int) -> list[tuple[str, str, dict]]:
    return [
        ("get", "/accounts/users/", {}),
        ("get", "/accounts/users/new/", {}),
        ("post", "/accounts/users/new/", {"username": "newbie", "role": "coder", "password1": GOOD_PASSWORD,
                                          "password2": GOOD_PASSWORD}),
        ("get", f"/accounts/users/{target_id}/", {}),
        ("post", f"/accounts/users/{target_id}/role/", {"role": "billing"}),
        ("get", f"/accounts/users/{target_id}/password/", {}),
        ("post", f"/accounts/users/{target_id}/password/", {"new_password1": GOOD_PASSWORD,
                                                            "new_password2": GOOD_PASSWORD}),
        ("post", f"/accounts/users/{target_id}/unlock/", {}),
        ("post", f"/accounts/users/{target_id}/reset-mfa/", {}),
        ("post", f"/accounts/users/{target_id}/deactivate/", {}),
        ("post", f"/accounts/users/{target_id}/reactivate/", {}),
        ("get", "/accounts/roles/", {}),
        ("post", "/accounts/roles/mfa/", {"role": "coder", "mfa_required": "on"}),
    ]


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_no_role_but_administrator_reaches_any_user_administration_page(role, client_for):
    target = make_user("coder", username="target")
    client = client_for(make_user(role))
    before = events("role_change").count(), get_user_model().objects.count()

    for method, path, data in admin_requests(target.pk):
        response = getattr(client, method)(path, data)
        if role == "interface":  # a system account has no desk session at all: it is sent to log in
            assert response["Location"].startswith("/accounts/login/"), (role, method, path)
        else:
            assert response.status_code == 403, (role, method, path)

    target.refresh_from_db()
    assert (role_of(target), target.is_active) == ("coder", True)
    assert not target.check_password(GOOD_PASSWORD)
    assert (events("role_change").count(), get_user_model().objects.count()) == before
    assert not RolePolicy.objects.get(group__name=group_name("coder")).mfa_required


def test_an_administrator_reaches_every_user_administration_page_and_action(client_for):
    admin = make_user("administrator")
    target = make_user("coder", username="target")
    client = client_for(admin)

    for method, path, data in admin_requests(target.pk):
        response = getattr(client, method)(path, data)
        assert response.status_code in {200, 302}, (method, path, response.status_code)

    target.refresh_from_db()
    assert (role_of(target), target.is_active) == ("billing", True)
    assert role_of(get_user_model().objects.get(username="newbie")) == "coder"
    assert RolePolicy.objects.get(group__name=group_name("coder")).mfa_required


def test_the_user_list_shows_role_last_login_mfa_and_lock_state(client_for, client):
    from django.conf import settings

    admin = make_user("administrator", username="boss")
    make_user("registrar", username="rita")
    TOTPDevice.objects.create(user=make_user("coder", username="mia"), name="phone", confirmed=True)
    for _ in range(settings.LOCKOUT_ATTEMPTS):
        client.post("/accounts/login/", {"username": "rita", "password": "wrong"})

    body = client_for(admin).get("/accounts/users/").content.decode()

    rita_row = body[body.index(">rita<") :].split("</tr>")[0]
    mia_row = body[body.index(">mia<") :].split("</tr>")[0]
    assert "Registrar / HIM clerk" in rita_row and ">locked<" in rita_row and "never" in rita_row
    assert "Coder" in mia_row and ">enrolled<" in mia_row and ">active<" in mia_row


def test_creating_a_provider_through_the_page_links_a_clinician_record_with_the_npi(client_for):
    from chartdesk.charts.models import Provider

    admin = make_user("administrator")
    response = client_for(admin).post(
        "/accounts/users/new/",
        {"username": "drhouse", "full_name": "Gregory House", "role": "provider", "password1": GOOD_PASSWORD,
         "password2": GOOD_PASSWORD, "npi": "1234567893", "credentials": "MD"},
    )

    user = get_user_model().objects.get(username="drhouse")
    assert response["Location"] == f"/accounts/users/{user.pk}/"
    provider = Provider.objects.get(user=user)
    assert (provider.given_name, provider.family_name, provider.npi, provider.credentials) == (
        "Gregory", "House", "1234567893", "MD"
    )
    created = events("create", object_type="user", object_id=str(user.pk)).get()
    assert (created.username, created.detail["role"], created.detail["npi"]) == (admin.username, "provider",
                                                                                   "1234567893")
    # One event for the whole creation: the group change inside the action is not recorded twice.
    assert not events("role_change", object_type="user", object_id=str(user.pk)).exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"role": "provider", "npi": ""}, "A provider needs an NPI"),
        ({"role": "provider", "npi": "1234567890"}, "is not a valid NPI"),
        ({"role": "coder", "npi": "1234567893"}, "Only providers have an NPI"),
        ({"role": "surgeon"}, "Select a valid choice"),
        ({"password2": "something-else-entirely"}, "The two passwords differ"),
        ({"password1": "short", "password2": "short"}, "This password is too short"),
        ({"username": "taken"}, "already taken"),
        ({"username": "has space"}, "Enter a valid username"),
        ({"email": "not-an-email"}, "Enter a valid email address"),
    ],
)
def test_bad_input_on_the_create_form_names_the_problem_and_saves_nothing(changes, message, client_for):
    make_user("coder", username="taken")
    client = client_for(make_user("administrator"))
    data = {"username": "fresh", "full_name": "Fresh Person", "role": "coder", "password1": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD, "npi": "", **changes}
    users_before = get_user_model().objects.count()

    response = client.post("/accounts/users/new/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert get_user_model().objects.count() == users_before
    assert not events("create", object_type="user").exists()


def test_a_role_change_is_audited_once_with_the_old_and_the_new_role(client_for):
    admin = make_user("administrator")
    target = make_user("coder")
    earlier = events("role_change", object_type="user", object_id=str(target.pk)).count()  # from make_user

    client_for(admin).post(f"/accounts/users/{target.pk}/role/", {"role": "roi"})

    target = get_user_model().objects.get(pk=target.pk)
    assert role_of(target) == "roi"
    assert list(target.groups.values_list("name", flat=True)) == [group_name("roi")]
    changes = events("role_change", object_type="user", object_id=str(target.pk))
    assert changes.count() == earlier + 1
    change = changes.last()
    assert (change.username, change.role, change.detail["from"], change.detail["to"]) == (
        admin.username, "administrator", "coder", "roi"
    )


def test_a_group_change_outside_the_actions_is_still_audited_by_the_signal():
    from django.contrib.auth.models import Group

    target = make_user("coder")
    target.groups.add(Group.objects.get(name=group_name("billing")))

    added = events("role_change", object_type="user", object_id=str(target.pk)).last()
    assert added.detail["change"] == "add" and added.detail["groups"] == [group_name("billing")]


def test_an_administrator_cannot_demote_or_deactivate_themselves():
    admin = make_user("administrator")

    with pytest.raises(ChartdeskError, match="cannot change the role of your own account"):
        do_change_role(admin, "coder", acting_user=admin)
    with pytest.raises(ChartdeskError, match="cannot deactivate your own account"):
        do_deactivate_user(admin, acting_user=admin)
    assert role_of(get_user_model().objects.get(pk=admin.pk)) == "administrator"


def test_deactivating_keeps_the_user_and_ends_their_session(client_for):
    admin = make_user("administrator")
    target = make_user("administrator", username="leaving")
    target_client = client_for(target)
    assert target_client.get("/accounts/users/").status_code == 200

    response = client_for(admin).post(f"/accounts/users/{target.pk}/deactivate/")

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_active is False
    assert events("update", object_id=str(target.pk)).get().detail["change"] == "deactivated"
    assert target_client.get("/accounts/users/")["Location"].startswith("/accounts/login/")


def test_a_refused_action_shows_its_reason_and_changes_nothing(client_for):
    admin = make_user("administrator")
    client = client_for(admin)

    response = client.post(f"/accounts/users/{admin.pk}/deactivate/", follow=True)

    assert "You cannot deactivate your own account" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_an_unknown_user_id_answers_not_found(client_for):
    assert client_for(make_user("administrator")).get("/accounts/users/999999/").status_code == 404


def test_requiring_mfa_for_a_role_is_audited_and_shown_on_the_roles_page(client_for):
    admin = make_user("administrator")
    client = client_for(admin)

    client.post("/accounts/roles/mfa/", {"role": "provider", "mfa_required": "on"})

    assert RolePolicy.objects.get(group__name=group_name("provider")).mfa_required
    change = events("role_change", object_type="role", object_id="provider").get()
    assert change.detail == {"role": "provider", "mfa_required": True}
    page = client.get("/accounts/roles/").content.decode()
    assert "Stop requiring for Provider" in page


def test_do_create_user_refuses_an_unknown_role_listing_the_roles():
    with pytest.raises(ChartdeskError) as refusal:
        do_create_user("someone", role="surgeon", password=GOOD_PASSWORD, acting_user=None)

    assert "There is no role 'surgeon'" in refusal.value.message
    assert "registrar, coder, billing" in refusal.value.message
    assert not get_user_model().objects.filter(username="someone").exists()
