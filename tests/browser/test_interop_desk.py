"""An administrator registers an API client at the desk with a one-patient scope, copies its secret
(shown once), and the program then reads that patient, and no other, from the live server's /fhir;
revoking it at the desk closes the API to it. Other roles are refused the pages."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_patients

pytestmark = pytest.mark.browser


def _call(request: urllib.request.Request) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"{}")


def _token(server, client_id: str, secret: str) -> tuple[int, dict]:
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id,
                                   "client_secret": secret}).encode()
    return _call(urllib.request.Request(server.url("/fhir/auth/token"), data=form, method="POST"))


def _read_patient(server, token: str, patient_id) -> tuple[int, dict]:
    return _call(urllib.request.Request(server.url(f"/fhir/Patient/{patient_id}"),
                                        headers={"Authorization": f"Bearer {token}",
                                                 "Accept": "application/fhir+json"}))


def test_an_administrator_registers_a_one_patient_client_that_reads_only_that_patient(server, page, log_in):
    allowed, other = open_patients(server)
    log_in(page, "administrator")
    page.goto(server.url("/interop/clients/"))
    expect(page.get_by_role("heading", name="API clients")).to_be_visible()
    page.get_by_role("link", name="Register a client").click()

    page.get_by_label("Name of the program").fill("Patient portal")
    page.get_by_label("Acts as user").select_option(label="registrar")
    page.get_by_label("One patient's records (read)").check()
    page.get_by_label(re.compile("Patient MRN")).fill(allowed["mrn"])
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", name="Patient portal is registered")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("shown this once")
    card = page.locator("dl.card")
    client_id = card.locator("dt:has-text('Client id') + dd").inner_text().strip()
    secret = card.locator("dt:has-text('Client secret') + dd").inner_text().strip()
    assert client_id.startswith("cd-") and len(secret) >= 32

    page.get_by_role("link", name="Back to API clients").click()
    row = page.get_by_role("row", name=re.compile("Patient portal"))
    expect(row).to_contain_text(client_id)
    expect(row).to_contain_text(allowed["mrn"])
    expect(row).to_contain_text("patient/*.read")
    assert secret not in page.content()  # the secret is never shown again

    status, issued = _token(server, client_id, secret)
    assert status == 200, issued
    token = issued["access_token"]
    status, patient = _read_patient(server, token, allowed["id"])
    assert status == 200, patient
    assert (patient["resourceType"], patient["id"]) == ("Patient", str(allowed["id"]))
    assert patient["name"][0]["family"] == allowed["family"]
    status, refused = _read_patient(server, token, other["id"])
    assert status == 404 and refused["resourceType"] == "OperationOutcome"
    assert _token(server, client_id, secret + "x")[0] == 401

    page.reload()
    expect(row).to_contain_text("1")  # one live token
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Patient portal can no longer call the API")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Patient portal"))).to_contain_text("revoked")
    assert _read_patient(server, token, allowed["id"])[0] == 401
    assert _token(server, client_id, secret)[0] == 401


@pytest.mark.parametrize("role", ["registrar", "him_manager"])
def test_other_roles_are_refused_the_client_pages(server, page, log_in, role):
    log_in(page, role)
    for path in ("/interop/clients/", "/interop/clients/new/"):
        response = page.goto(server.url(path))
        assert response is not None and response.status == 403
        expect(page.get_by_role("heading", name="API clients")).to_have_count(0)
    page.goto(server.url("/"))
    expect(page.get_by_role("link", name="API clients")).to_have_count(0)
