"""The HL7 error queue and the outbound dead letters page and sort through core.listing, filters kept
in the links, a bad page or sort named, and only the HL7 queue's roles see either."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from chartdesk.interop.models import Hl7Outbound
from tests.interop.hl7_messages import adt
from tests.interop.test_hl7_outbound import closed_port, destination
from tests.interop.test_hl7_queue import send
from tests.support import factories

pytestmark = pytest.mark.django_db

QUEUE = "/interop/hl7/"
DEAD = "/interop/hl7/dead-letters/"


@pytest.fixture
def failed(settings):
    """Five refused messages received one after another (messages are never updated): CTL-C first."""
    settings.LIST_PAGE_SIZE = 2
    for control_id, event in (("CTL-C", "A04"), ("CTL-A", "A08"), ("CTL-E", "A04"), ("CTL-B", "A08"),
                              ("CTL-D", "A04")):
        send(adt(event, control_id, family=""))


def controls_on(html: str) -> list[str]:
    return re.findall(r">(CTL-[A-E])</a>", html)


def test_the_queue_pages_newest_first(failed, client_for):
    client = client_for(factories.make_user("him_manager"))
    first = client.get(QUEUE).content.decode()
    assert controls_on(first) == ["CTL-D", "CTL-B"]
    assert "Page 1 of 3 · 5 messages" in first
    assert controls_on(client.get(QUEUE, {"page": 2}).content.decode()) == ["CTL-E", "CTL-A"]
    assert controls_on(client.get(QUEUE, {"page": 3}).content.decode()) == ["CTL-C"]


def test_the_queue_sorts_by_control_id_both_ways(failed, client_for):
    client = client_for(factories.make_user("him_manager"))
    html = client.get(QUEUE, {"sort": "control"}).content.decode()
    assert controls_on(html) == ["CTL-A", "CTL-B"]
    assert re.search(r'<th scope="col" aria-sort="ascending"><a href="\?sort=-control">Control id', html)
    assert controls_on(client.get(QUEUE, {"sort": "-control"}).content.decode()) == ["CTL-E", "CTL-D"]


def test_the_event_filter_survives_paging_and_sorting(failed, client_for):
    client = client_for(factories.make_user("him_manager"))
    html = client.get(QUEUE, {"event": "A04", "sort": "control"}).content.decode()
    assert controls_on(html) == ["CTL-C", "CTL-D"]
    assert "Page 1 of 2 · 3 messages" in html
    next_link = re.search(r'href="(\?[^"]*page=2)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "event=A04" in next_link and "sort=control" in next_link
    assert controls_on(client.get(QUEUE + next_link).content.decode()) == ["CTL-E"]
    assert '<input type="hidden" name="sort" value="control">' in html


@pytest.mark.parametrize("params, problem", [
    ({"page": "9"}, "There is no page 9; the list has 3 pages. Showing page 3."),
    ({"page": "-1"}, "There is no page -1"),
    ({"sort": "raw"}, "Cannot sort by &#x27;raw&#x27;"),
])
def test_the_queue_names_a_bad_page_or_sort(failed, client_for, params, problem):
    response = client_for(factories.make_user("him_manager")).get(QUEUE, params)
    assert response.status_code == 200
    assert problem in response.content.decode() and controls_on(response.content.decode())


@pytest.fixture
def dead_letters(settings):
    settings.LIST_PAGE_SIZE = 2
    destination(factories.make_user("administrator"), closed_port())
    for given in ("Aiko", "Ken", "Mei"):
        factories.make_patient(given, "Nakamura")
    now = timezone.now()
    rows = list(Hl7Outbound.objects.order_by("pk"))
    for minutes, (row, attempts) in zip((30, 10, 20), zip(rows, (4, 1, 7), strict=True), strict=True):
        Hl7Outbound.objects.filter(pk=row.pk).update(status="dead", dead_at=now - timedelta(minutes=minutes),
                                                     attempts=attempts)
    return [row.control_id for row in rows]


def dead_on(html: str) -> list[str]:
    return re.findall(r"<td><code>([^<]+)</code></td>", html)


def test_dead_letters_page_newest_first_and_sort_by_tries_both_ways(dead_letters, client_for):
    client = client_for(factories.make_user("him_manager"))
    first = client.get(DEAD).content.decode()
    assert dead_on(first) == [dead_letters[1], dead_letters[2]]
    assert "Page 1 of 2 · 3 messages" in first
    assert dead_on(client.get(DEAD, {"page": 2}).content.decode()) == [dead_letters[0]]
    fewest = client.get(DEAD, {"sort": "tries"}).content.decode()
    assert dead_on(fewest) == [dead_letters[1], dead_letters[0]]
    assert 'href="?sort=tries&amp;page=2" rel="next"' in fewest
    assert dead_on(client.get(DEAD, {"sort": "-tries"}).content.decode()) == [dead_letters[2], dead_letters[0]]


def test_dead_letters_name_a_bad_page_or_sort(dead_letters, client_for):
    client = client_for(factories.make_user("him_manager"))
    html = client.get(DEAD, {"page": "many", "sort": "message"}).content.decode()
    assert "Cannot sort by &#x27;message&#x27;" in html
    assert "Page &#x27;many&#x27; is not a page number; showing page 1." in html
    assert dead_on(html) == [dead_letters[1], dead_letters[2]]


@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "provider", "administrator"])
def test_roles_without_the_hl7_queue_cannot_page_either_list(failed, role, client_for):
    client = client_for(factories.make_user(role))
    assert client.get(QUEUE, {"page": 2, "sort": "control"}).status_code == 403
    assert client.get(DEAD, {"page": 2, "sort": "tries"}).status_code == 403
