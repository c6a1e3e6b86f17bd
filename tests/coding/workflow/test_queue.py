"""The coding queue: finished encounters only, filters, DNFB days, restricted charts masked."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from chartdesk.coding.workflow import actions
from chartdesk.coding.workflow.queue import DnfbLine, QueueFilters, coding_queue, dnfb_summary, payers_in_queue
from chartdesk.patients.actions import do_set_restriction
from tests.coding.workflow.conftest import finished_encounter
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(code_sets, staff):
    """Three finished encounters (inpatient 10 days, outpatient 2 days, inpatient 5 days) and one still open."""
    old = finished_encounter(staff, days_ago=10, payer=("MC", "Medicare"))
    visit = finished_encounter(staff, encounter_class="outpatient", days_ago=2, payer=("MB", "Acme Health Plan"))
    recent = finished_encounter(staff, days_ago=5)
    factories.make_encounter(factories.make_patient("Still", "Admitted"), "inpatient",
                             admit_at=timezone.now() - datetime.timedelta(days=1), acting_user=staff.registrar)
    return old, visit, recent


def accounts(encounters):
    return [encounter.account_number for encounter in encounters]


def test_finished_encounters_wait_in_the_queue_oldest_first(waiting):
    old, visit, recent = waiting
    queue = coding_queue(QueueFilters())
    assert accounts(queue) == accounts([old, recent, visit])
    assert [encounter.days_waiting for encounter in queue] == [10, 5, 2]
    assert [encounter.payer for encounter in queue] == ["Medicare", None, "Acme Health Plan"]


def test_the_queue_filters_by_class_payer_days_and_coder(waiting, staff):
    old, visit, recent = waiting
    assert accounts(coding_queue(QueueFilters(encounter_class="outpatient"))) == [visit.account_number]
    assert accounts(coding_queue(QueueFilters(payer="Medicare"))) == [old.account_number]
    assert accounts(coding_queue(QueueFilters(min_days=5))) == accounts([old, recent])
    actions.do_assign_case(recent, staff.other_coder, acting_user=staff.manager)
    assert accounts(coding_queue(QueueFilters(coder=str(staff.other_coder.pk)))) == [recent.account_number]
    assert accounts(coding_queue(QueueFilters(coder="unassigned"))) == accounts([old, visit])
    assert payers_in_queue() == ["Acme Health Plan", "Medicare"]


def test_dnfb_counts_encounters_and_days_per_class_until_coded(waiting, staff):
    old, visit, recent = waiting
    assert dnfb_summary() == [
        DnfbLine("inpatient", "Inpatient", 2, 15, 10), DnfbLine("outpatient", "Outpatient", 1, 2, 2)
    ]
    case = actions.do_start_coding(visit, acting_user=staff.coder)
    actions.do_add_diagnosis(case, "R07.9", acting_user=staff.coder)
    actions.do_complete_coding(case, acting_user=staff.coder)
    assert dnfb_summary() == [DnfbLine("inpatient", "Inpatient", 2, 15, 10)]
    assert visit.account_number not in accounts(coding_queue(QueueFilters()))


def test_the_queue_page_lists_and_filters_for_coders_and_masks_restricted_charts(waiting, staff, client_for):
    old, visit, recent = waiting
    do_set_restriction(recent.patient, restriction="vip", note="board member", acting_user=staff.manager)
    page = client_for(staff.coder).get("/coding/work/", {"class": "inpatient"})
    assert page.status_code == 200
    body = page.content.decode()
    assert old.account_number in body and recent.account_number in body and visit.account_number not in body
    assert recent.patient.family_name not in body and "Restricted chart" in body
    assert "Charges are those billing has recorded on the waiting encounters" in body
    refused = client_for(staff.coder).get("/coding/work/", {"min_days": "soon", "class": "spaceship"})
    assert "Days waiting: give a whole number" in refused.content.decode()
    assert "Encounter class: choose one" in refused.content.decode()


@pytest.mark.parametrize("role", ["registrar", "billing", "roi", "transcriptionist", "provider",
                                  "privacy_officer", "administrator"])
def test_only_coders_and_the_him_manager_see_the_queue(role, waiting, client_for):
    assert client_for(factories.make_user(role)).get("/coding/work/").status_code == 403


def test_a_coder_cannot_code_an_encounter_that_is_not_finished(code_sets, staff, client_for):
    open_stay = factories.make_encounter(factories.make_patient("Still", "Admitted"), "inpatient",
                                         admit_at=timezone.now() - datetime.timedelta(days=1),
                                         acting_user=staff.registrar)
    with pytest.raises(Exception, match="not finished"):
        actions.do_start_coding(open_stay, acting_user=staff.coder)
    assert client_for(staff.coder).get(f"/coding/work/encounter/{open_stay.pk}/").status_code == 404


def _queries_for_queue_page(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/coding/work/").status_code == 200
    return len(captured.captured_queries)


def test_the_queue_page_costs_the_same_queries_however_many_accounts_the_site_has(
        waiting, staff, client_for, django_assert_max_num_queries):
    """The coder filter lists who may code: found in one query, not by asking each account's
    permissions (two queries an account, which made the page take seconds on a loaded site)."""
    coder = client_for(staff.coder)
    before = _queries_for_queue_page(coder)
    for number in range(12):
        factories.make_user(("coder", "registrar", "billing")[number % 3], username=f"extra-{number:02d}")
    factories.make_user("coder", username="extra-gone", is_active=False)
    with django_assert_max_num_queries(before):
        page = coder.get("/coding/work/")
    body = page.content.decode()
    listed = [name for name in ("coder-one", "coder-two", "extra-00", "extra-03", "extra-09") if name in body]
    assert listed == ["coder-one", "coder-two", "extra-00", "extra-03", "extra-09"]
    # Neither the other roles nor a deactivated coder are offered as assignees.
    assert "extra-01" not in body and "extra-02" not in body and "extra-gone" not in body
    assert "desk-clerk" not in body and "him-boss" not in body
