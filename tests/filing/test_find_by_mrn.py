"""The file room finds a patient's paper charts by MRN, and a patient's chart links to them."""

from __future__ import annotations

import pytest

from chartdesk.patients.actions import do_set_restriction
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["registrar", "him_manager"])
def test_the_desk_finds_the_paper_charts_by_mrn(chart, users, role, client_for):
    client = client_for(users[role])
    desk = client.get("/filing/").content.decode()
    assert 'aria-label="Find by MRN"' in desk and 'name="find-mrn"' in desk
    response = client.get("/filing/", {"find-mrn": f" {chart.patient.mrn} "})
    assert response.status_code == 302
    assert response["Location"] == f"/filing/patient/{chart.patient.pk}/"
    assert chart.barcode in client.get(response["Location"]).content.decode()


def test_an_unknown_or_empty_mrn_is_named_on_the_desk(users, client_for):
    client = client_for(users["registrar"])
    unknown = client.get("/filing/", {"find-mrn": "M999999"})
    assert unknown.status_code == 400
    assert "No patient has this MRN." in unknown.content.decode()
    empty = client.get("/filing/", {"find-mrn": ""})
    assert empty.status_code == 400
    assert "This field is required" in empty.content.decode()


def test_a_restricted_patient_found_by_mrn_is_still_refused(chart, users, client_for):
    do_set_restriction(chart.patient, restriction="vip", note="Board member", acting_user=users["privacy_officer"])
    client = client_for(users["registrar"])
    found = client.get("/filing/", {"find-mrn": chart.patient.mrn})
    page = client.get(found["Location"])
    assert chart.barcode not in page.content.decode()


def test_the_chart_links_to_the_paper_charts_for_roles_that_track_them(chart, users, client_for):
    link = f'href="/filing/patient/{chart.patient.pk}/"'
    assert link in client_for(users["registrar"]).get(f"/charts/patient/{chart.patient.pk}/").content.decode()
    coder_page = client_for(factories.make_user("coder")).get(f"/charts/patient/{chart.patient.pk}/")
    assert coder_page.status_code == 200 and link not in coder_page.content.decode()


@pytest.mark.parametrize("role", ["coder", "billing", "roi"])
def test_roles_without_the_file_room_cannot_search_it(chart, role, client_for):
    response = client_for(factories.make_user(role)).get("/filing/", {"find-mrn": chart.patient.mrn})
    assert response.status_code == 403
