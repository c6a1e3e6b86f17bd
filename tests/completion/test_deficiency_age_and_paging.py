"""A deficiency's age counts from the discharge (a chart analysed late is not 0 days old), and the
provider's queue and HIM's review list page and sort like every long desk list (core.listing)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chartdesk.charts.models import DocumentType
from chartdesk.completion.analysis import analyse_encounter
from chartdesk.completion.models import Deficiency
from tests.completion.conftest import discharge, note
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def late(patient: Any, users: dict[str, Any], attending: Any) -> Deficiency:
    """An unsigned H&P on a stay discharged 40 days ago, analysed only now."""
    stay = factories.make_encounter(patient, "inpatient", admit_at=timezone.now() - timedelta(days=44),
                                    acting_user=users["registrar"], attending=attending.provider)
    note(stay, attending, DocumentType.HISTORY_AND_PHYSICAL, title="Admission H&P")
    discharge(stay, users["registrar"], hours_ago=40 * 24)
    analyse_encounter(stay)
    return Deficiency.objects.get(rule__code="signature")


def ages_on(html: str) -> list[str]:
    return re.findall(r'<td class="numeric">(\d+)</td>', html)


def test_the_queue_shows_the_age_since_discharge_not_since_analysis(late, attending, client_for):
    html = client_for(attending).get("/completion/queue/").content.decode()
    assert "History and physical not signed" in html
    assert ages_on(html)[0] == "40"
    assert 'aria-sort="descending"><a href="?sort=age">Age (days)' in html


def test_the_review_list_shows_the_same_age_and_pages(late, users, client_for, settings):
    settings.LIST_PAGE_SIZE = 1
    client = client_for(users["him_manager"])
    html = client.get("/completion/review/").content.decode()
    assert f'<td>{late.encounter.account_number}</td><td class="numeric">40</td>' in html
    count = Deficiency.objects.filter(status="open").count()
    assert f"Page 1 of {count} · {count} deficiencies" in html
    second = client.get("/completion/review/", {"page": 2, "sort": "-opened"})
    assert second.status_code == 200
    assert 'href="?sort=-opened&amp;page=1" rel="prev"' in second.content.decode()


def test_a_bad_sort_on_the_review_list_is_named_not_a_500(late, users, client_for):
    response = client_for(users["him_manager"]).get("/completion/review/", {"sort": "note"})
    assert response.status_code == 200
    assert "Cannot sort by &#x27;note&#x27;" in response.content.decode()
    assert "History and physical not signed" in response.content.decode()


@pytest.mark.parametrize("role", ["coder", "registrar", "roi"])
def test_roles_without_the_review_list_are_refused(late, role, client_for):
    assert client_for(factories.make_user(role)).get("/completion/review/", {"page": 1}).status_code == 403
