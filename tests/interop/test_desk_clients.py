"""The administrators' desk pages for API clients: list, register (secret shown once), revoke."""

from __future__ import annotations

import pytest

from chartdesk.interop.models import ApiClient, ApiToken
from chartdesk.interop.tokens import digest, do_issue_token
from tests.support import factories

pytestmark = pytest.mark.django_db


def test_an_administrator_registers_a_client_and_sees_its_secret_once(client_for, admin):
    registrar = factories.make_user("registrar", username="portal-account")
    page = client_for(admin)
    response = page.post("/interop/clients/new/", {"name": "Patient portal", "acts_as": registrar.pk,
                                                   "scopes": ["user/*.read"]})
    assert response.status_code == 200
    client = ApiClient.objects.get()
    secret = response.context["secret"]
    assert secret.encode() in response.content
    assert client.secret_digest == digest(secret)
    listing = page.get("/interop/clients/")
    assert b"Patient portal" in listing.content and secret.encode() not in listing.content


def test_a_patient_scope_needs_a_real_mrn(client_for, admin):
    registrar = factories.make_user("registrar")
    response = client_for(admin).post("/interop/clients/new/", {"name": "App", "acts_as": registrar.pk,
                                                                "scopes": ["patient/*.read"], "patient_mrn": "999"})
    assert response.status_code == 400
    assert b"No patient has this MRN" in response.content
    patient = factories.make_patient()
    response = client_for(admin).post("/interop/clients/new/", {"name": "App", "acts_as": registrar.pk,
                                                                "scopes": ["patient/*.read"]})
    assert response.status_code == 400
    assert b"needs the patient" in response.content
    ok = client_for(admin).post("/interop/clients/new/", {"name": "App", "acts_as": registrar.pk,
                                                          "scopes": ["patient/*.read"], "patient_mrn": patient.mrn})
    assert ok.status_code == 200
    assert ApiClient.objects.get().patient_id == patient.pk


def test_revoking_a_client_revokes_its_tokens(client_for, admin):
    from chartdesk.interop.tokens import do_register_api_client

    api_client, secret = do_register_api_client("App", user=factories.make_user("registrar"),
                                                scopes=["user/*.read"], acting_user=admin)
    token, _ = do_issue_token(api_client.client_id, secret)
    response = client_for(admin).post(f"/interop/clients/{api_client.pk}/revoke/")
    assert response.status_code == 302
    assert not ApiClient.objects.get().active
    assert ApiToken.objects.get().revoked_at is not None
    from django.test import Client

    assert Client().get("/fhir/Patient", headers={"Authorization": f"Bearer {token}"}).status_code == 401


@pytest.mark.parametrize("role", ["registrar", "him_manager", "privacy_officer", "provider"])
def test_other_roles_cannot_open_the_client_pages(client_for, role):
    page = client_for(factories.make_user(role))
    assert page.get("/interop/clients/").status_code == 403
    assert page.post("/interop/clients/new/", {"name": "x"}).status_code == 403
    assert not ApiClient.objects.exists()
