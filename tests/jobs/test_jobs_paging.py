"""The jobs page pages and sorts through core.listing, keeping its status and everyone filters in the links."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from chartdesk.jobs.models import JobStatus
from tests.jobs.test_jobs_page import _job
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_jobs(settings):
    settings.LIST_PAGE_SIZE = 2
    starter = factories.make_user("registrar", username="jobs-starter")
    now = timezone.now()
    jobs = [_job(starter, f"Export {letter}", created_at=now - timedelta(hours=hours), attempts=attempts,
                 status=JobStatus.FAILED if attempts == 3 else JobStatus.QUEUED)
            for letter, hours, attempts in (("C", 5, 1), ("A", 1, 3), ("E", 3, 0), ("B", 4, 3), ("D", 2, 2))]
    return starter, jobs


def titles_on(html: str) -> list[str]:
    return re.findall(r"<td>(Export [A-E])", html)


def test_page_two_holds_the_next_jobs_newest_first(five_jobs, client_for):
    starter, _jobs = five_jobs
    client = client_for(starter)
    first = client.get("/jobs/").content.decode()
    assert titles_on(first) == ["Export A", "Export D"]
    assert "Page 1 of 3 · 5 jobs" in first
    assert titles_on(client.get("/jobs/", {"page": 2}).content.decode()) == ["Export E", "Export B"]
    assert titles_on(client.get("/jobs/", {"page": 3}).content.decode()) == ["Export C"]


def test_sorting_by_title_and_attempts_both_ways(five_jobs, client_for):
    client = client_for(five_jobs[0])
    by_title = client.get("/jobs/", {"sort": "title"}).content.decode()
    assert titles_on(by_title) == ["Export A", "Export B"]
    assert re.search(r'<th scope="col" aria-sort="ascending"><a href="\?sort=-title">Job', by_title)
    assert titles_on(client.get("/jobs/", {"sort": "-title"}).content.decode()) == ["Export E", "Export D"]
    fewest = client.get("/jobs/", {"sort": "attempts"}).content.decode()
    assert titles_on(fewest) == ["Export E", "Export C"]


def test_the_status_filter_survives_paging_and_sorting(five_jobs, client_for):
    client = client_for(five_jobs[0])
    html = client.get("/jobs/", {"status": "queued", "sort": "title"}).content.decode()
    assert titles_on(html) == ["Export C", "Export D"]
    assert 'href="?status=queued&amp;sort=title&amp;page=2" rel="next"' in html
    assert titles_on(client.get("/jobs/", {"status": "queued", "sort": "title", "page": 2}).content.decode()) == [
        "Export E"]


def test_every_users_jobs_page_with_the_filter_kept_and_sort_by_starter(five_jobs, client_for):
    manager = factories.make_user("him_manager")
    _job(manager, "Export F")
    client = client_for(manager)
    html = client.get("/jobs/", {"all": "1", "sort": "-starter"}).content.decode()
    assert 'href="?all=1&amp;sort=-starter&amp;page=2" rel="next"' in html
    assert titles_on(html) == ["Export D", "Export B"]  # jobs-starter before him_manager..., newest row first
    assert "Export F" in client.get("/jobs/", {"all": "1", "sort": "-starter", "page": 3}).content.decode()


def test_a_plain_user_cannot_page_into_everyones_jobs(five_jobs, client_for):
    other = factories.make_user("coder")
    _job(other, "Export Z")
    html = client_for(other).get("/jobs/", {"all": "1", "page": 2, "sort": "starter"}).content.decode()
    assert "Cannot sort by &#x27;starter&#x27;" in html  # the column exists only on everyone's list
    assert "There is no page 2; the list has 1 page. Showing page 1." in html
    assert "Export Z" in html and not titles_on(html)


@pytest.mark.parametrize("params, problem", [
    ({"page": "0"}, "There is no page 0"),
    ({"page": "x"}, "Page &#x27;x&#x27; is not a page number; showing page 1."),
    ({"sort": "failure_reason"}, "Cannot sort by &#x27;failure_reason&#x27;"),
])
def test_a_bad_page_or_sort_is_named(five_jobs, client_for, params, problem):
    response = client_for(five_jobs[0]).get("/jobs/", params)
    assert response.status_code == 200
    assert problem in response.content.decode()
    assert len(titles_on(response.content.decode())) in (1, 2)
