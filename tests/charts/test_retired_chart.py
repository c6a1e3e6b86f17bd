"""A chart merged into another (retired) offers no write actions and points at the survivor."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chartdesk.patients.merge_actions import do_merge_patients
from tests.support import factories

pytestmark = pytest.mark.django_db

WRITERS = ["registrar", "provider", "him_manager", "transcriptionist"]
WRITE_URLS = ["charts-encounter-new", "charts-note-new", "charts-upload"]


@pytest.fixture
def merged_pair():
    him = factories.make_user("him_manager")
    survivor = factories.make_patient("Maria", "Garcia")
    retired = factories.make_patient("Mary", "Garcia")
    do_merge_patients(survivor, retired, reason="Same person", acting_user=him)
    retired.refresh_from_db()
    return survivor, retired


def links_to(page, name, patient):
    return reverse(name, kwargs={"patient_id": patient.pk}) in page


@pytest.mark.parametrize("role", WRITERS)
def test_a_retired_chart_shows_no_write_actions_but_the_survivor_still_does(merged_pair, role, client_for):
    survivor, retired = merged_pair
    client = client_for(factories.make_user(role))
    retired_page = client.get(reverse("charts-chart", kwargs={"patient_id": retired.pk})).content.decode()
    assert not any(links_to(retired_page, name, retired) for name in WRITE_URLS)
    assert f"This record was merged into MRN {survivor.mrn}" in retired_page
    assert reverse("charts-chart", kwargs={"patient_id": survivor.pk}) in retired_page
    survivor_page = client.get(reverse("charts-chart", kwargs={"patient_id": survivor.pk})).content.decode()
    assert any(links_to(survivor_page, name, survivor) for name in WRITE_URLS)


@pytest.mark.parametrize(("name", "role"), [("charts-encounter-new", "registrar"), ("charts-note-new", "provider"),
                                            ("charts-upload", "registrar")])
def test_opening_a_write_form_on_a_retired_chart_is_refused_before_it_is_filled(merged_pair, name, role, client_for):
    survivor, retired = merged_pair
    user = factories.make_user(role)
    if role == "provider":
        factories.make_provider(user=user)
    client = client_for(user)
    response = client.get(reverse(name, kwargs={"patient_id": retired.pk}), follow=True)
    assert response.redirect_chain == [(reverse("charts-chart", kwargs={"patient_id": retired.pk}), 302)]
    assert f"This chart was merged into MRN {survivor.mrn}" in response.content.decode()
    assert client.get(reverse(name, kwargs={"patient_id": survivor.pk})).status_code == 200


def test_a_role_without_the_permission_is_still_refused_on_a_retired_chart(merged_pair, client_for):
    _, retired = merged_pair
    client = client_for(factories.make_user("coder"))
    for name in WRITE_URLS:
        assert client.get(reverse(name, kwargs={"patient_id": retired.pk})).status_code == 403
