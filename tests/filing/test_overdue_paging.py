"""The overdue charts list pages and sorts (core.listing): most overdue first, by borrower both ways,
a bad page or sort named, and only the roles that track charts see it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from chartdesk.filing import actions
from tests.support import factories

pytestmark = pytest.mark.django_db

OVERDUE = "/filing/overdue/"


@pytest.fixture
def overdue(file_room, shelf, users, settings):
    """Three charts overdue by 3, 9 and 6 days, lent to Cruz, Adams and Baker."""
    settings.LIST_PAGE_SIZE = 2
    clerk = users["registrar"]
    charts = []
    for family, borrower, days in (("Orr", "Dr. Cruz", 3), ("Ng", "Dr. Adams", 9), ("Ito", "Dr. Baker", 6)):
        chart = actions.do_create_paper_chart(factories.make_patient("Lee", family), file_room=file_room,
                                              home_location=shelf, acting_user=clerk)
        lent = timezone.now() - timedelta(days=days + 2)
        actions.do_check_out_chart(chart, borrower=borrower, department="", purpose="Clinic visit",
                                   due_at=lent + timedelta(days=2), acting_user=clerk, now=lent)
        charts.append(chart)
    return charts


def barcodes_on(html: str) -> list[str]:
    return re.findall(r'href="/filing/chart/\d+/">([^<]+)</a>', html)


def test_the_most_overdue_come_first_and_page_two_holds_the_rest(overdue, users, client_for):
    client = client_for(users["registrar"])
    first = client.get(OVERDUE).content.decode()
    assert barcodes_on(first) == [overdue[1].barcode, overdue[2].barcode]
    assert "Page 1 of 2 · 3 charts" in first
    assert barcodes_on(client.get(OVERDUE, {"page": 2}).content.decode()) == [overdue[0].barcode]


def test_sorting_by_borrower_both_ways_is_kept_across_pages(overdue, users, client_for):
    client = client_for(users["registrar"])
    html = client.get(OVERDUE, {"sort": "borrower"}).content.decode()
    assert barcodes_on(html) == [overdue[1].barcode, overdue[2].barcode]  # Adams, Baker
    assert re.search(r'<th scope="col" aria-sort="ascending"><a href="\?sort=-borrower">With', html)
    assert 'href="?sort=borrower&amp;page=2" rel="next"' in html
    backwards = client.get(OVERDUE, {"sort": "-borrower"}).content.decode()
    assert barcodes_on(backwards) == [overdue[0].barcode, overdue[2].barcode]  # Cruz, Baker


@pytest.mark.parametrize("params, problem", [
    ({"page": "5"}, "There is no page 5; the list has 2 pages. Showing page 2."),
    ({"sort": "patient__ssn"}, "Cannot sort by &#x27;patient__ssn&#x27;"),
])
def test_a_bad_page_or_sort_is_named(overdue, users, client_for, params, problem):
    response = client_for(users["registrar"]).get(OVERDUE, params)
    assert response.status_code == 200
    assert problem in response.content.decode() and barcodes_on(response.content.decode())


@pytest.mark.parametrize("role", ["coder", "billing", "roi", "provider"])
def test_roles_that_do_not_track_charts_are_refused(overdue, role, client_for):
    response = client_for(factories.make_user(role)).get(OVERDUE, {"page": 2, "sort": "borrower"})
    assert response.status_code == 403
    assert overdue[0].barcode not in response.content.decode()
