"""Audit reports: who looked at a chart, what a user did; filtered, sorted, exported, and audited."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from types import SimpleNamespace
from unittest import mock

import pytest

from chartdesk.accounts.roles import ROLES_BY_SLUG
from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditEvent, AuditOutcome
from chartdesk.core.context import acting_as
from tests.support.factories import MAIN_ROLES, make_user

pytestmark = pytest.mark.django_db

CHART = SimpleNamespace(pk=7001, mrn="M0007001")
OTHER_CHART = SimpleNamespace(pk=7002, mrn="M0007002")
READERS = [role.slug for role in MAIN_ROLES if "audit.view_audit_reports" in role.permissions]
EXPORTERS = [role.slug for role in MAIN_ROLES if "audit.export_audit" in role.permissions]


def at(moment: datetime):
    """Write events as if at a past moment: the clock is the only thing stood in for."""
    return mock.patch("chartdesk.core.clock.now", return_value=moment)


@pytest.fixture
def trail():
    """Three people look at one chart over three days; one of them breaks the glass."""
    alice, bob, zed = make_user("coder", username="alice"), make_user("roi", username="bob"), make_user(
        "provider", username="zed"
    )
    with at(datetime(2026, 3, 1, 9, 0, tzinfo=UTC)), acting_as(client_address="10.0.0.1"):
        record_event(AuditAction.VIEW, user=alice, patient=CHART, object_type="patient", object_id=CHART.pk)
    with at(datetime(2026, 3, 2, 14, 30, tzinfo=UTC)), acting_as(client_address="10.0.0.2"):
        record_event(AuditAction.PRINT, user=bob, patient=CHART, object_type="document", object_id=55)
    with at(datetime(2026, 3, 3, 23, 59, tzinfo=UTC)), acting_as(client_address="10.0.0.3"):
        record_event(
            AuditAction.VIEW, user=zed, patient=CHART, object_type="patient", object_id=CHART.pk,
            break_the_glass_reason="=HYPERLINK(\"x\") patient unconscious in ED",
        )
    with at(datetime(2026, 3, 2, 12, 0, tzinfo=UTC)):
        record_event(AuditAction.VIEW, user=alice, patient=OTHER_CHART, object_type="patient", object_id=7002)
    return {"alice": alice, "bob": bob, "zed": zed}


def table_rows(body: str) -> list[str]:
    tbody = body.split("<tbody>")[1].split("</tbody>")[0]
    return [row for row in tbody.split("</tr>") if "<td" in row]


@pytest.mark.parametrize("role", [role.slug for role in MAIN_ROLES])
def test_only_the_roles_holding_the_permission_read_audit_reports(role, client_for, trail):
    client = client_for(make_user(role))
    expected = 200 if role in READERS else 403

    for path in ("/audit/", f"/audit/patient/?mrn={CHART.mrn}", "/audit/user/?username=alice"):
        response = client.get(path)
        if role == "interface":  # a system account has no desk session at all: it is sent to log in
            assert response["Location"].startswith("/accounts/login/"), (role, path)
        else:
            assert response.status_code == expected, (role, path)


@pytest.mark.parametrize("role", READERS)
def test_csv_export_needs_its_own_permission(role, client_for, trail):
    response = client_for(make_user(role)).get(f"/audit/patient/?mrn={CHART.mrn}&format=csv")

    assert response.status_code == (200 if role in EXPORTERS else 403)


def test_who_looked_at_this_chart_lists_every_event_naming_the_patient_newest_first(client_for, trail):
    officer = make_user("administrator")

    body = client_for(officer).get(f"/audit/patient/?mrn={CHART.mrn}").content.decode()

    rows = table_rows(body)
    assert len(rows) == 3
    assert ">zed<" in rows[0] and ">bob<" in rows[1] and ">alice<" in rows[2]
    assert "Printed" in rows[1] and "10.0.0.2" in rows[1] and "roi" in rows[1]
    assert "M0007002" not in body


def test_break_the_glass_rows_are_highlighted_with_their_reason(client_for, trail):
    body = client_for(make_user("administrator")).get(f"/audit/patient/?patient_id={CHART.pk}").content.decode()

    glass = [row for row in table_rows(body) if 'class="btg"' in row]
    assert len(glass) == 1
    assert "patient unconscious in ED" in glass[0] and ">zed<" in glass[0]


def test_reading_a_patients_audit_trail_is_itself_audited(client_for, trail):
    officer = make_user("administrator")

    client_for(officer).get(f"/audit/patient/?mrn={CHART.mrn}&from=2026-03-02")

    read = AuditEvent.objects.filter(object_type="audit_report").get()
    assert (read.action, read.user_id, read.patient_id, read.patient_mrn) == ("view", officer.pk, 7001, "M0007001")
    assert read.detail["report"] == "patient" and read.detail["from"] == "2026-03-02T00:00:00+00:00"


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("user", ["alice", "bob", "zed"]),
        ("-user", ["zed", "bob", "alice"]),
        ("when", ["alice", "bob", "zed"]),
        ("address", ["alice", "bob", "zed"]),
        ("-address", ["zed", "bob", "alice"]),
        ("action", ["bob", "alice", "zed"]),  # "print" before "view", then by event order
        ("role", ["alice", "zed", "bob"]),  # coder, provider, roi
    ],
)
def test_the_report_sorts_by_any_column_both_ways(sort, expected, client_for, trail):
    body = client_for(make_user("administrator")).get(f"/audit/patient/?mrn={CHART.mrn}&sort={sort}").content.decode()

    order = [name for row in table_rows(body) for name in ("alice", "bob", "zed") if f">{name}<" in row]
    assert order == expected


def test_every_column_heading_links_to_its_sort_and_marks_the_current_one(client_for, trail):
    body = client_for(make_user("administrator")).get(f"/audit/patient/?mrn={CHART.mrn}&sort=user").content.decode()

    from chartdesk.audit.reports import COLUMNS

    for key in COLUMNS:
        assert f"sort={'-' if key == 'user' else ''}{key}\"" in body, key
    assert 'aria-sort="ascending"' in body


def test_an_unknown_sort_column_is_named_and_the_default_order_used(client_for, trail):
    body = client_for(make_user("administrator")).get(
        f"/audit/patient/?mrn={CHART.mrn}&sort=password"
    ).content.decode()

    assert "Cannot sort by &#x27;password&#x27;" in body
    assert ">zed<" in table_rows(body)[0]


def test_the_time_range_filters_events_and_a_date_as_to_includes_the_whole_day(client_for, trail):
    client = client_for(make_user("administrator"))

    body = client.get(f"/audit/patient/?mrn={CHART.mrn}&from=2026-03-02&to=2026-03-02").content.decode()
    assert [row for row in table_rows(body) if ">bob<" in row] and len(table_rows(body)) == 1

    body = client.get(f"/audit/patient/?mrn={CHART.mrn}&from=2026-03-02T15:00&to=2026-03-31").content.decode()
    assert len(table_rows(body)) == 1 and ">zed<" in table_rows(body)[0]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-03-03&to=2026-03-01", "&#x27;to&#x27; must be after &#x27;from&#x27;"),
        ("from=yesterday", "&#x27;from&#x27; must be a date like 2026-03-15"),
        ("to=2026-13-45", "&#x27;to&#x27; must be a date like 2026-03-15"),
    ],
)
def test_a_bad_time_range_is_explained_and_no_events_are_hidden(query, message, client_for, trail):
    response = client_for(make_user("administrator")).get(f"/audit/patient/?mrn={CHART.mrn}&{query}")

    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert len(table_rows(body)) == 3


def test_the_user_report_shows_what_one_user_did_including_failed_logins(client_for, trail):
    record_event(AuditAction.LOGIN_FAILED, username="alice", outcome=AuditOutcome.FAILURE)

    body = client_for(make_user("administrator")).get("/audit/user/?username=alice").content.decode()

    rows = table_rows(body)
    assert len(rows) >= 3
    assert any("M0007002" in row for row in rows) and any("M0007001" in row for row in rows)
    assert any("Failed log-in" in row for row in rows)
    read = AuditEvent.objects.filter(object_type="audit_report").get()
    assert (read.object_id, read.detail["report"]) == ("alice", "user")


def test_a_patient_or_user_nobody_knows_answers_not_found_with_a_message(client_for, trail):
    client = client_for(make_user("administrator"))

    assert "No patient and no audit event has the MRN NOPE" in client.get("/audit/patient/?mrn=NOPE").content.decode()
    assert client.get("/audit/user/?username=ghost").status_code == 404
    assert client.get("/audit/patient/?patient_id=abc").status_code == 404


def test_the_csv_export_has_a_header_every_event_and_is_audited_as_an_export(client_for, trail):
    officer = make_user("privacy_officer")
    assert "audit.export_audit" in ROLES_BY_SLUG["privacy_officer"].permissions

    response = client_for(officer).get(f"/audit/patient/?mrn={CHART.mrn}&sort=when&format=csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-patient-M0007001-')
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["When (UTC)", "Event", "User", "Role"]
    assert [row[2] for row in rows[1:]] == ["alice", "bob", "zed"]
    assert rows[1][0] == "2026-03-01T09:00:00Z"
    assert rows[2][5] == "print" and rows[2][9] == "10.0.0.2"
    # A reason typed at the desk never becomes a spreadsheet formula.
    assert rows[3][11].startswith("'=HYPERLINK")
    export = AuditEvent.objects.get(action="export")
    assert (export.user_id, export.patient_mrn, export.detail["rows"], export.detail["format"]) == (
        officer.pk, "M0007001", 3, "csv"
    )


def test_the_landing_page_shows_recent_break_the_glass_prominently(client_for):
    zed = make_user("provider", username="zed")
    record_event(AuditAction.BREAK_THE_GLASS, user=zed, patient=CHART, break_the_glass_reason="cardiac arrest")
    record_event(AuditAction.VIEW, user=zed, patient=OTHER_CHART)

    body = client_for(make_user("administrator")).get("/audit/").content.decode()

    glass = body.split('id="glass"')[1].split("</section>")[0]
    assert "cardiac arrest" in glass and "M0007001" in glass and "M0007002" not in glass
