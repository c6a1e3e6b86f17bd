"""The coding queue on the desk pages, sorts by a whitelisted column and keeps its filters in the URL
(core.listing, the mechanism every long desk list shares)."""

from __future__ import annotations

import re

import pytest

from tests.coding.workflow.conftest import finished_encounter
from tests.support import factories

pytestmark = pytest.mark.django_db

QUEUE = "/coding/work/"


@pytest.fixture
def waiting(code_sets, staff, settings):
    settings.LIST_PAGE_SIZE = 2
    return [finished_encounter(staff, days_ago=days) for days in (10, 7, 5, 2)] + [
        finished_encounter(staff, encounter_class="outpatient", days_ago=3)]


def accounts_on(html: str) -> list[str]:
    return re.findall(r'href="/coding/work/encounter/\d+/">([^<]+)</a>', html)


def test_page_two_shows_the_next_rows_oldest_discharge_first(waiting, staff, client_for):
    by_age = [waiting[0], waiting[1], waiting[2], waiting[4], waiting[3]]  # 10, 7, 5, 3, 2 days
    client = client_for(staff.coder)
    first = client.get(QUEUE).content.decode()
    assert accounts_on(first) == [e.account_number for e in by_age[:2]]
    assert "Page 1 of 3 · 5 encounters" in first
    assert 'href="?page=2" rel="next"' in first
    second = client.get(QUEUE, {"page": 2}).content.decode()
    assert accounts_on(second) == [e.account_number for e in by_age[2:4]]
    third = client.get(QUEUE, {"page": 3}).content.decode()
    assert accounts_on(third) == [by_age[4].account_number]


def test_sorting_by_a_column_changes_the_order_and_the_heading_says_so(waiting, staff, client_for):
    client = client_for(staff.coder)
    newest = client.get(QUEUE, {"sort": "-discharged"}).content.decode()
    assert accounts_on(newest) == [waiting[3].account_number, waiting[4].account_number]
    assert re.search(r'<th scope="col" aria-sort="descending"><a href="\?sort=discharged">Discharged', newest)
    by_days = client.get(QUEUE, {"sort": "days"}).content.decode()
    assert accounts_on(by_days) == [waiting[3].account_number, waiting[4].account_number]


def test_filters_survive_paging_and_sorting(waiting, staff, client_for):
    client = client_for(staff.coder)
    html = client.get(QUEUE, {"class": "inpatient", "sort": "-days"}).content.decode()
    assert "Page 1 of 2 · 4 encounters" in html
    assert 'href="?class=inpatient&amp;sort=-days&amp;page=2" rel="next"' in html
    assert 'href="?class=inpatient&amp;sort=account"' in html
    second = client.get(QUEUE, {"class": "inpatient", "sort": "-days", "page": 2}).content.decode()
    assert accounts_on(second) == [waiting[2].account_number, waiting[3].account_number]
    assert waiting[4].account_number not in second


@pytest.mark.parametrize("params, problem", [
    ({"page": "two"}, "Page &#x27;two&#x27; is not a page number; showing page 1."),
    ({"page": "99"}, "There is no page 99; the list has 3 pages. Showing page 3."),
    ({"sort": "patient__mrn"}, "Cannot sort by &#x27;patient__mrn&#x27;"),
])
def test_a_bad_page_or_sort_is_named_and_the_list_still_shows(waiting, staff, client_for, params, problem):
    response = client_for(staff.coder).get(QUEUE, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert problem in html
    assert len(accounts_on(html)) in (1, 2)


@pytest.mark.parametrize("role", ["registrar", "provider", "roi", "billing"])
def test_roles_without_the_queue_are_refused_whatever_the_page(waiting, role, client_for):
    assert client_for(factories.make_user(role)).get(QUEUE, {"page": 2, "sort": "days"}).status_code == 403
