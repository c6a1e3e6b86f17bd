"""The claims list pages and sorts in the database (core.listing), keeps its status filter in the
links, leaves out restricted charts' claims before counting, and answers in a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chartdesk.billing.actions import do_add_coverage, do_create_charges, do_create_claim
from chartdesk.patients.actions import do_set_restriction
from tests.billing.conftest import coded, visit_on
from tests.support import factories

pytestmark = pytest.mark.django_db

CLAIMS = "/billing/claims/"


@pytest.fixture
def claims(organisation, payer, fees, clinician, billing_user, service_day, settings):
    """Four claims, created in the order Dunn, Abel, Cole, Bauer; units make each total different."""
    settings.LIST_PAGE_SIZE = 2
    made = []
    for family, units in (("Dunn", 1), ("Abel", 3), ("Cole", 2), ("Bauer", 4)):
        patient = factories.make_patient("Pat", family)
        do_add_coverage(patient, payer=payer, rank="primary", member_id=f"XJ{units}23456789", group_number="G-1",
                        subscriber_address_line="12 Elm Street", subscriber_city="Springfield",
                        subscriber_state="IL", subscriber_zip="62704", acting_user=billing_user)
        encounter = visit_on(patient, service_day)
        do_create_charges(encounter, coded(clinician, service_day, procedures=(("36415", (), units),)),
                          acting_user=billing_user)
        made.append(do_create_claim(encounter, acting_user=billing_user))
    return made


def claim_numbers_on(html: str) -> list[str]:
    return re.findall(r'href="/billing/claim/\d+/">([^<]+)</a>', html)


def test_the_newest_claims_come_first_and_page_two_holds_the_rest(claims, billing_user, client_for):
    client = client_for(billing_user)
    first = client.get(CLAIMS).content.decode()
    assert claim_numbers_on(first) == [claims[3].claim_number, claims[2].claim_number]
    assert "Page 1 of 2 · 4 claims" in first
    assert claim_numbers_on(client.get(CLAIMS, {"page": 2}).content.decode()) == [
        claims[1].claim_number, claims[0].claim_number]


def test_sorting_by_patient_and_by_total_both_ways(claims, billing_user, client_for):
    client = client_for(billing_user)
    by_patient = client.get(CLAIMS, {"sort": "patient"}).content.decode()
    assert claim_numbers_on(by_patient) == [claims[1].claim_number, claims[3].claim_number]  # Abel, Bauer
    assert re.search(r'<th scope="col" aria-sort="ascending"><a href="\?sort=-patient">Patient', by_patient)
    assert claim_numbers_on(client.get(CLAIMS, {"sort": "-patient"}).content.decode()) == [
        claims[0].claim_number, claims[2].claim_number]  # Dunn, Cole
    by_total = sorted(claims, key=lambda claim: claim.total_charge)
    assert claim_numbers_on(client.get(CLAIMS, {"sort": "total"}).content.decode()) == [
        claim.claim_number for claim in by_total[:2]]
    assert claim_numbers_on(client.get(CLAIMS, {"sort": "-total"}).content.decode()) == [
        claim.claim_number for claim in reversed(by_total[2:])]


def test_the_status_filter_survives_paging_and_sorting(claims, billing_user, client_for):
    status = claims[0].status
    html = client_for(billing_user).get(CLAIMS, {"status": status, "sort": "claim"}).content.decode()
    assert f'href="?status={status}&amp;sort=claim&amp;page=2" rel="next"' in html
    assert f'href="?status={status}&amp;sort=patient"' in html
    assert '<input type="hidden" name="sort" value="claim">' in html


def test_a_restricted_charts_claim_is_neither_listed_nor_counted(claims, billing_user, users, client_for):
    do_set_restriction(claims[3].patient, restriction="vip", note="board member", acting_user=users["him_manager"])
    html = client_for(billing_user).get(CLAIMS).content.decode()
    assert "Page 1 of 2 · 3 claims" in html
    assert claims[3].claim_number not in html


def test_the_page_takes_the_same_queries_however_many_claims(claims, billing_user, client_for, settings):
    client = client_for(billing_user)
    settings.LIST_PAGE_SIZE = 1
    with CaptureQueriesContext(connection) as one_row:
        client.get(CLAIMS)
    settings.LIST_PAGE_SIZE = 4
    with CaptureQueriesContext(connection) as four_rows:
        client.get(CLAIMS)
    assert len(four_rows) == len(one_row)  # patient and payer come with the claims, not one query a row


@pytest.mark.parametrize("params, problem", [
    ({"page": "3"}, "There is no page 3; the list has 2 pages. Showing page 2."),
    ({"page": "1e3"}, "Page &#x27;1e3&#x27; is not a page number; showing page 1."),
    ({"sort": "patient__ssn_last4"}, "Cannot sort by &#x27;patient__ssn_last4&#x27;"),
])
def test_a_bad_page_or_sort_is_named(claims, billing_user, client_for, params, problem):
    response = client_for(billing_user).get(CLAIMS, params)
    assert response.status_code == 200
    assert problem in response.content.decode() and claim_numbers_on(response.content.decode())


@pytest.mark.parametrize("role", ["registrar", "coder", "roi", "provider", "him_manager", "front_desk"])
def test_roles_without_claim_work_cannot_page_the_claims(claims, role, client_for):
    response = client_for(factories.make_user(role)).get(CLAIMS, {"page": 2, "sort": "total"})
    assert response.status_code == 403
    assert claims[0].claim_number not in response.content.decode()
