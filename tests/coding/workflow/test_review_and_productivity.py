"""Second-level review records each change before/after; productivity and accuracy follow from it."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from chartdesk.coding.workflow import actions
from chartdesk.coding.workflow.coded import coded_encounter
from chartdesk.coding.workflow.models import CaseStatus, CodingCase, ReviewChange
from chartdesk.coding.workflow.reports import coder_figures
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from tests.coding.workflow.conftest import finished_encounter

pytestmark = pytest.mark.django_db


def coded_case(staff, codes, *, days_ago=3, minutes=30, hold_minutes=0):
    """An inpatient encounter coded by staff.coder with `codes` ((code, poa) pairs), taking `minutes`."""
    encounter = finished_encounter(staff, days_ago=days_ago)
    case = actions.do_start_coding(encounter, acting_user=staff.coder)
    for code, poa in codes:
        actions.do_add_diagnosis(case, code, poa=poa, acting_user=staff.coder)
    actions.do_complete_coding(case, acting_user=staff.coder)
    case.refresh_from_db()
    # The clock of a real day: started `minutes` before completing, `hold_minutes` of it waiting on a query.
    CodingCase.objects.filter(pk=case.pk).update(
        started_at=case.coded_at - datetime.timedelta(minutes=minutes), hold_seconds=hold_minutes * 60
    )
    case.refresh_from_db()
    return case


def test_the_reviewer_changes_are_kept_before_and_after(code_sets, staff):
    case = coded_case(staff, [("I50.9", "Y"), ("E11.9", "Y"), ("N39.0", "N"), ("I10", "Y")])
    actions.do_start_review(case, acting_user=staff.manager)
    assert coded_encounter(case.encounter) is None  # back out of billing while in review
    rows = {row.code: row for row in case.diagnoses.all()}
    actions.do_change_diagnosis(rows["I509"], code="I50.23", poa="Y", acting_user=staff.manager)
    actions.do_change_diagnosis(rows["N390"], code="N39.0", poa="Y", acting_user=staff.manager)
    actions.do_remove_diagnosis(rows["I10"], acting_user=staff.manager)
    actions.do_add_diagnosis(case, "Z79.4", poa="1", acting_user=staff.manager)
    actions.do_finish_review(case, acting_user=staff.manager)

    changes = list(ReviewChange.objects.filter(case=case).values_list("kind", "before", "after"))
    assert changes == [
        ("changed", "I50.9 POA Y (principal/first-listed)", "I50.23 POA Y (principal/first-listed)"),
        ("changed", "N39.0 POA N", "N39.0 POA Y"),
        ("removed", "I10 POA Y", ""),
        ("added", "", "Z79.4 POA 1"),
    ]
    case.refresh_from_db()
    assert (case.status, case.reviewed_by) == (CaseStatus.CODED, staff.manager)
    assert [line.code for line in coded_encounter(case.encounter).diagnoses] == ["I5023", "E119", "N390", "Z794"]


def test_productivity_and_accuracy_per_coder(code_sets, staff):
    reviewed = coded_case(staff, [("I50.9", "Y"), ("E11.9", "Y"), ("N39.0", "N"), ("I10", "Y")], minutes=30)
    coded_case(staff, [("J18.9", "Y"), ("E11.9", "Y")], days_ago=4, minutes=50, hold_minutes=20)
    actions.do_start_review(reviewed, acting_user=staff.manager)
    rows = {row.code: row for row in reviewed.diagnoses.all()}
    actions.do_change_diagnosis(rows["I509"], code="I50.23", poa="Y", acting_user=staff.manager)
    actions.do_remove_diagnosis(rows["I10"], acting_user=staff.manager)
    actions.do_add_diagnosis(reviewed, "Z79.4", poa="1", acting_user=staff.manager)
    actions.do_finish_review(reviewed, acting_user=staff.manager)

    now = timezone.now()
    [line] = coder_figures(now - datetime.timedelta(days=1), now + datetime.timedelta(minutes=1))
    # 30 minutes + (50 - 20 on hold) minutes = 1 hour for 2 encounters and 6 codes.
    assert (line.coder, line.encounters, line.codes) == (staff.coder, 2, 6)
    assert line.hours == pytest.approx(1.0)
    assert line.encounters_per_hour == pytest.approx(2.0)
    assert line.codes_per_hour == pytest.approx(6.0)
    # Of the 4 reviewed codes, one was changed and one removed: 2 of 4 stood.
    assert (line.reviewed_encounters, line.reviewed_codes, line.changed, line.removed, line.added) == (1, 4, 1, 1, 1)
    assert line.accuracy == pytest.approx(0.5)


def test_the_report_page_shows_the_figures_to_the_him_manager_only(code_sets, staff, client_for):
    coded_case(staff, [("I50.9", "Y"), ("E11.9", "Y")], minutes=30)
    page = client_for(staff.manager).get("/coding/work/report/").content.decode()
    assert "coder-one" in page and "0.50" in page and "4.00" in page and "not reviewed" in page
    assert client_for(staff.coder).get("/coding/work/report/").status_code == 403


def test_only_a_reviewer_reviews_and_only_coded_work(code_sets, staff):
    case = coded_case(staff, [("I10", "Y")])
    with pytest.raises(PermissionRefused):
        actions.do_start_review(case, acting_user=staff.coder)
    actions.do_start_review(case, acting_user=staff.manager)
    with pytest.raises(PermissionRefused):
        actions.do_add_diagnosis(case, "E11.9", poa="Y", acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="Only a coded encounter"):
        actions.do_start_review(case, acting_user=staff.manager)
    actions.do_finish_review(case, acting_user=staff.manager)
    with pytest.raises(ChartdeskError, match="not in review"):
        actions.do_finish_review(case, acting_user=staff.manager)
    with pytest.raises(ChartdeskError, match="coded, ready for billing; its codes cannot change"):
        actions.do_add_diagnosis(case, "E11.9", poa="Y", acting_user=staff.coder)
    assert not ReviewChange.objects.exists()


def test_review_changes_are_never_rewritten_or_deleted(code_sets, staff):
    from django.db import connection, transaction

    case = coded_case(staff, [("I10", "Y")])
    actions.do_start_review(case, acting_user=staff.manager)
    actions.do_remove_diagnosis(case.diagnoses.get(), acting_user=staff.manager)
    actions.do_finish_review(case, acting_user=staff.manager)
    change = ReviewChange.objects.get()
    with pytest.raises(ChartdeskError):
        change.delete()
    for statement in ("UPDATE coding_workflow_reviewchange SET after = 'I10'",
                      "DELETE FROM coding_workflow_reviewchange"):
        with pytest.raises(Exception, match="refused"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert ReviewChange.objects.get().before == "I10 POA Y (principal/first-listed)"
