"""The ROI queue pages and sorts (core.listing) and keeps its status filter in every link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from chartdesk.disclosures.models import ReleaseRequest
from tests.disclosures.test_views import log_through_the_desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_requests(chart, roi, client_for, settings):
    settings.LIST_PAGE_SIZE = 2
    client = client_for(roi)
    for days in (27, 3, 15):
        log_through_the_desk(client, chart["patient"],
                             received_on=(timezone.localdate() - timedelta(days=days)).isoformat())
    by_due = list(ReleaseRequest.objects.order_by("due_on").values_list("number", flat=True))
    return client, by_due


def numbers_on(html):
    return re.findall(r'href="/disclosures/requests/\d+/">([^<]+)</a>', html)


def test_the_queue_pages_soonest_due_first(three_requests):
    client, by_due = three_requests
    first = client.get("/disclosures/").content.decode()
    assert numbers_on(first) == by_due[:2]
    assert "Page 1 of 2 · 3 requests" in first
    assert numbers_on(client.get("/disclosures/", {"page": 2}).content.decode()) == by_due[2:]


def test_sorting_and_the_status_filter_survive_paging(three_requests):
    client, by_due = three_requests
    html = client.get("/disclosures/", {"status": "logged", "sort": "-due"}).content.decode()
    assert numbers_on(html) == list(reversed(by_due))[:2]
    assert 'href="?status=logged&amp;sort=-due&amp;page=2" rel="next"' in html
    last = client.get("/disclosures/", {"status": "logged", "sort": "-due", "page": 2}).content.decode()
    assert numbers_on(last) == [by_due[0]]


def test_a_page_past_the_end_shows_the_last_page_and_says_so(three_requests):
    client, by_due = three_requests
    response = client.get("/disclosures/", {"page": "7"})
    assert response.status_code == 200
    assert "There is no page 7; the list has 2 pages. Showing page 2." in response.content.decode()
    assert numbers_on(response.content.decode()) == by_due[2:]
