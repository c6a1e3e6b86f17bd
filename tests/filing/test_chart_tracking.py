"""Paper volumes, check-out and check-in by barcode, overdue and missing charts, pick lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.core.errors import ChartdeskError, NotFound, PermissionRefused
from chartdesk.filing import actions
from chartdesk.filing.access import access_missing_charts, access_overdue_charts, access_pick_list, chart_trail
from chartdesk.filing.models import ChartStatus, ExpectedVisit, PaperChart
from tests.support import factories


def test_a_new_volume_gets_the_next_number_and_a_barcode(chart, patient, file_room, users):
    assert (chart.volume, chart.barcode, chart.status) == (1, f"C{patient.mrn}V01", ChartStatus.IN_FILE)
    second = actions.do_create_paper_chart(patient, file_room=file_room, acting_user=users["registrar"])
    assert (second.volume, second.barcode) == (2, f"C{patient.mrn}V02")


def test_a_coder_cannot_create_or_move_paper_charts(patient, file_room, chart, users):
    with pytest.raises(PermissionRefused):
        actions.do_create_paper_chart(patient, file_room=file_room, acting_user=users["coder"])
    with pytest.raises(PermissionRefused):
        actions.do_check_in_chart(chart.barcode, acting_user=users["coder"])


def test_check_out_records_borrower_purpose_and_due_date_and_check_in_by_barcode_returns_it(chart, users):
    clerk = users["registrar"]
    due = timezone.now() + timedelta(days=2)
    loan = actions.do_check_out_chart(chart, borrower="Dr. Ada Lovelace", department="Cardiology clinic",
                                      purpose="Follow-up visit", due_at=due, acting_user=clerk)
    chart.refresh_from_db()
    assert (chart.status, chart.current_checkout, loan.due_at) == (ChartStatus.CHECKED_OUT, loan, due)
    with pytest.raises(ChartdeskError, match="not in the file"):
        actions.do_check_out_chart(chart, borrower="Someone", department="", purpose="Audit",
                                   due_at=due, acting_user=clerk)
    returned = actions.do_check_in_chart(f"  {chart.barcode.lower()} ", acting_user=clerk)
    chart.refresh_from_db()
    assert (chart.status, chart.current_checkout, returned.kind, returned.note) == (
        ChartStatus.IN_FILE, None, "check_in", "")
    assert [m.kind for m in chart_trail(chart)] == ["created", "check_out", "check_in"]
    assert AuditEvent.objects.filter(object_type="paper_chart", object_id=str(chart.pk)).count() == 3


def test_check_out_needs_a_borrower_a_purpose_and_a_future_due_date(chart, users):
    clerk = users["registrar"]
    later = timezone.now() + timedelta(days=1)
    with pytest.raises(ChartdeskError) as missing_borrower:
        actions.do_check_out_chart(chart, borrower="", department="", purpose="x", due_at=later, acting_user=clerk)
    assert missing_borrower.value.field == "borrower"
    with pytest.raises(ChartdeskError) as missing_purpose:
        actions.do_check_out_chart(chart, borrower="Ann", department="", purpose=" ", due_at=later, acting_user=clerk)
    assert missing_purpose.value.field == "purpose"
    with pytest.raises(ChartdeskError, match="already past"):
        actions.do_check_out_chart(chart, borrower="Ann", department="", purpose="Visit",
                                   due_at=timezone.now() - timedelta(hours=1), acting_user=clerk)
    chart.refresh_from_db()
    assert chart.status == ChartStatus.IN_FILE


def test_checking_in_a_chart_already_in_file_or_unknown_barcode_is_refused(chart, users):
    with pytest.raises(ChartdeskError, match="not checked out"):
        actions.do_check_in_chart(chart.barcode, acting_user=users["registrar"])
    with pytest.raises(ChartdeskError, match="No paper chart has the barcode C999"):
        actions.do_check_in_chart("C999", acting_user=users["registrar"])


def test_a_chart_past_its_due_date_is_on_the_overdue_list_and_its_late_return_is_noted(chart, users):
    clerk = users["registrar"]
    loaned_at = timezone.now() - timedelta(days=5)
    actions.do_check_out_chart(chart, borrower="Dr. Hopper", department="", purpose="Research review",
                               due_at=loaned_at + timedelta(days=2), acting_user=clerk, now=loaned_at)
    assert access_overdue_charts(clerk) == [chart]
    assert access_overdue_charts(clerk, now=loaned_at + timedelta(days=1)) == []
    returned = actions.do_check_in_chart(chart.barcode, acting_user=clerk)
    assert returned.note == "returned late"
    assert access_overdue_charts(clerk) == []


def test_a_missing_chart_keeps_a_search_trail_until_it_is_found(chart, users):
    clerk = users["registrar"]
    actions.do_report_chart_missing(chart, note="Not on shelf S-00-09", acting_user=clerk)
    actions.do_record_chart_search(chart, note="Asked cardiology clinic: not there", acting_user=clerk)
    assert access_missing_charts(clerk) == [chart]
    found = actions.do_check_in_chart(chart.barcode, acting_user=clerk)
    assert found.kind == "found"
    assert [m.kind for m in chart_trail(chart)] == ["created", "missing", "searched", "found"]
    assert access_missing_charts(clerk) == []


def test_a_restricted_patients_chart_is_not_found_by_a_clerk(file_room, users):
    from chartdesk.patients.actions import do_set_restriction

    secret = factories.make_patient("Vera", "Important")
    hidden = actions.do_create_paper_chart(secret, file_room=file_room, acting_user=users["registrar"])
    do_set_restriction(secret, restriction="vip", note="board member", acting_user=users["him_manager"])
    with pytest.raises(NotFound):
        actions.do_check_out_chart(PaperChart.objects.get(pk=hidden.pk), borrower="Ann", department="",
                                   purpose="Visit", due_at=timezone.now() + timedelta(days=1),
                                   acting_user=users["registrar"])


def test_tomorrows_pick_list_is_in_terminal_digit_order_and_flags_charts_already_out(file_room, users):
    clerk = users["registrar"]
    tomorrow = timezone.localdate() + timedelta(days=1)
    people = [factories.make_patient(f"Pat{n}", "Synthetic") for n in range(3)]
    charts = [actions.do_create_paper_chart(person, file_room=file_room, acting_user=clerk) for person in people]
    for person in people:
        actions.do_add_expected_visit(person, expected_on=tomorrow, kind="appointment", clinic="Cardiology",
                                      acting_user=clerk)
    unpapered = factories.make_patient("Newpatient", "Synthetic")
    actions.do_add_expected_visit(unpapered, expected_on=tomorrow, kind="admission", acting_user=clerk)
    actions.do_check_out_chart(charts[1], borrower="Dr. Who", department="", purpose="Consult",
                               due_at=timezone.now() + timedelta(days=3), acting_user=clerk)
    picks = access_pick_list(clerk, tomorrow)
    from chartdesk.filing.order import filing_number_of_mrn, terminal_digit_key

    expected = sorted(charts, key=lambda c: terminal_digit_key(filing_number_of_mrn(c.patient.mrn)))
    assert [line.chart.pk for line in picks.lines] == [c.pk for c in expected]
    assert [line.chart.pk for line in picks.not_in_file] == [charts[1].pk]
    assert [visit.patient for visit in picks.without_paper] == [unpapered]


def test_expected_visits_import_all_lines_or_none(patient, users):
    clerk = users["registrar"]
    good = f"mrn,date,time,kind,clinic\n{patient.mrn},2030-01-02,09:30,appointment,Cardiology\n"
    assert actions.do_import_expected_visits(good, acting_user=clerk) == 1
    bad = good + f"{patient.mrn},2030-13-02,,appointment,\n"
    with pytest.raises(ChartdeskError, match="Line 3: date: 2030-13-02 is not a date"):
        actions.do_import_expected_visits(bad, acting_user=clerk)
    with pytest.raises(ChartdeskError, match="first line"):
        actions.do_import_expected_visits("patient;day\n", acting_user=clerk)
    assert ExpectedVisit.objects.count() == 1


def test_the_pick_list_read_is_audited(users, file_room):
    clerk: Any = users["registrar"]
    access_pick_list(clerk, timezone.localdate())
    assert AuditEvent.objects.filter(object_type="pick_list").count() == 1
