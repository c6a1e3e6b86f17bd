"""Patient search results page and sort like every long desk list (core.listing): the likeliest first,
then by name, date of birth or MRN, the query kept in every link, a bad page or sort named."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.support import factories

pytestmark = pytest.mark.django_db

SEARCH = "/patients/"


@pytest.fixture
def pagers(settings):
    settings.LIST_PAGE_SIZE = 2
    born = [date(1990, 1, 5), date(1970, 6, 1), date(1985, 2, 2), date(1962, 9, 9), date(2001, 3, 3)]
    given = ["Carla", "Anna", "Eva", "Bea", "Dora"]
    return [factories.make_patient(name, "Pagewright", birthday, "F")
            for name, birthday in zip(given, born, strict=True)]


def mrns_on(html: str) -> list[str]:
    return re.findall(r"<span>MRN (\S+)</span>", html)


def test_page_two_holds_the_next_patients_in_the_same_order(pagers, users, client_for):
    client = client_for(users["registrar"])
    first = client.get(SEARCH, {"q": "pagewright"}).content.decode()
    second = client.get(SEARCH, {"q": "pagewright", "page": 2}).content.decode()
    third = client.get(SEARCH, {"q": "pagewright", "page": 3}).content.decode()
    assert "Page 1 of 3 · 5 patients" in first
    assert 'href="?q=pagewright&amp;page=2" rel="next"' in first
    shown = mrns_on(first) + mrns_on(second) + mrns_on(third)
    assert sorted(shown) == sorted(patient.mrn for patient in pagers)  # every one, once
    assert [len(mrns_on(page)) for page in (first, second, third)] == [2, 2, 1]


def test_sorting_by_name_and_by_birth_date_both_ways(pagers, users, client_for):
    client = client_for(users["registrar"])
    by_name = sorted(pagers, key=lambda patient: patient.given_name)
    html = client.get(SEARCH, {"q": "pagewright", "sort": "name"}).content.decode()
    assert mrns_on(html) == [patient.mrn for patient in by_name[:2]]
    assert 'href="?q=pagewright&amp;sort=-name" aria-current="true">Name' in html
    backwards = client.get(SEARCH, {"q": "pagewright", "sort": "-name", "page": 3}).content.decode()
    assert mrns_on(backwards) == [by_name[0].mrn]
    by_birth = sorted(pagers, key=lambda patient: patient.birth_date)
    oldest = client.get(SEARCH, {"q": "pagewright", "sort": "born"}).content.decode()
    youngest = client.get(SEARCH, {"q": "pagewright", "sort": "-born"}).content.decode()
    assert mrns_on(oldest) == [patient.mrn for patient in by_birth[:2]]
    assert mrns_on(youngest) == [patient.mrn for patient in reversed(by_birth[-2:])]


def test_the_query_and_the_sort_survive_paging(pagers, users, client_for):
    html = client_for(users["registrar"]).get(SEARCH, {"q": "pagewright", "sort": "-mrn"}).content.decode()
    assert 'href="?q=pagewright&amp;sort=-mrn&amp;page=2" rel="next"' in html
    assert '<input type="hidden" name="sort" value="-mrn">' in html  # a new search keeps the order chosen
    assert mrns_on(html) == sorted((patient.mrn for patient in pagers), reverse=True)[:2]


def test_a_search_typed_into_the_box_answers_with_its_pager(pagers, users, client_for):
    response = client_for(users["registrar"]).get(SEARCH, {"q": "pagewright"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<h1>" not in html  # the fragment htmx swaps in
    assert "Page 1 of 3 · 5 patients" in html and len(mrns_on(html)) == 2


@pytest.mark.parametrize("params, problem", [
    ({"page": "last"}, "Page &#x27;last&#x27; is not a page number; showing page 1."),
    ({"page": "40"}, "There is no page 40; the list has 3 pages. Showing page 3."),
    ({"sort": "ssn"}, "Cannot sort by &#x27;ssn&#x27;"),
])
def test_a_bad_page_or_sort_is_named_and_the_results_still_show(pagers, users, client_for, params, problem):
    response = client_for(users["registrar"]).get(SEARCH, {"q": "pagewright", **params})
    assert response.status_code == 200
    assert problem in response.content.decode()
    assert mrns_on(response.content.decode())


@pytest.mark.parametrize("role", ["administrator", "instructor", "student"])
def test_roles_without_patient_search_are_refused_on_every_page(pagers, role, client_for):
    response = client_for(factories.make_user(role)).get(SEARCH, {"q": "pagewright", "page": 2, "sort": "name"})
    assert response.status_code == 403
    assert "Pagewright" not in response.content.decode()
