"""The report pages as users reach them: per role, the table and plot, drill-down, exports, bad input."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from chartdesk.audit.models import AuditAction, AuditEvent
from chartdesk.patients.actions import do_set_restriction
from tests.support import factories

RANGE = {"since": "2025-02-01", "until": "2025-03-31", "grain": "month"}
REPORTS = ("dnfb", "delinquency", "roi-turnaround", "coding-backlog", "coder-productivity")

# Which roles open which report (any one of the report's permissions); the rest are refused.
OPENS = {
    "him_manager": set(REPORTS),
    "coder": {"coding-backlog"},
    "billing": {"dnfb"},
    "roi": {"roi-turnaround"},
    "registrar": set(),
    "provider": set(),
    "privacy_officer": set(),
    "front_desk": set(),
    "transcriptionist": set(),
    "administrator": set(),
}


@pytest.mark.parametrize("role", sorted(OPENS))
def test_each_role_opens_its_reports_and_is_refused_the_others(role, department, client_for):
    client = client_for(factories.make_user(role))
    for slug in REPORTS:
        page = client.get(f"/reports/{slug}/", RANGE)
        drill = client.get(f"/reports/{slug}/list/", {**RANGE, "period": "2025-03-01",
                                                      "series": _first_series(slug)})
        expected = 200 if slug in OPENS[role] else 403
        assert (page.status_code, drill.status_code) == (expected, expected), slug
    index = client.get("/reports/")
    assert index.status_code == (200 if OPENS[role] else 403)


def test_a_refused_report_is_recorded_as_a_denied_access(department, client_for):
    coder = department.coder
    client_for(coder).get("/reports/delinquency/")
    refusal = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, user=coder).latest("sequence")
    assert refusal.detail["permissions"] == ["reports.view_department_reports", "completion.manage_deficiencies"]


def _first_series(slug: str) -> str:
    from chartdesk.reports.framework import report_of

    return report_of(slug).series_keys[0]  # type: ignore[union-attr]


def test_the_report_page_shows_a_plot_and_every_number_links_to_its_list(department, client_for):
    page = client_for(department.manager).get("/reports/dnfb/", RANGE)
    html = page.content.decode()
    assert page.status_code == 200
    assert '<img src="data:image/svg+xml;base64,' in html
    assert 'alt="Line chart of DNFB encounters' in html
    plot = page.context["plots"][0]
    assert "<title>Discharged, not final billed (DNFB)</title>" in plot.svg
    assert "style=" not in html.split("<main", 1)[-1]  # the page itself carries no inline style (CSP)
    march = page.context["table"][1]
    assert march["label"] == "2025-03"
    assert [cell["text"] for cell in march["cells"][:3]] == ["4", "$150.00", "109"]
    assert "period=2025-03-01" in march["cells"][0]["url"] and "series=encounters" in march["cells"][0]["url"]
    breakdown = {row["label"]: row["cells"] for row in page.context["breakdown"]["rows"]}
    assert breakdown["Held by scrubber edit"] == ["1", "31", "31.0", "$150.00"]


def test_the_drill_down_lists_the_records_and_audits_the_view(department, client_for):
    manager = department.manager
    response = client_for(manager).get("/reports/dnfb/list/", {**RANGE, "period": "2025-03-01",
                                                               "series": "encounters"})
    assert response.status_code == 200
    assert [row["cells"][0] for row in response.context["rows"]] == ["ACC-D", "ACC-A", "ACC-C", "ACC-B"]
    event = AuditEvent.objects.filter(action=AuditAction.VIEW, user=manager, object_type="report_dnfb").get()
    assert event.detail["patient_ids"] == sorted({department.a.patient_id, department.b.patient_id,
                                                  department.c.patient_id, department.d.patient_id})
    assert event.detail["count"] == 4 and event.detail["series"] == "encounters"


def test_a_restricted_chart_is_counted_but_not_listed_to_who_may_not_open_it(department, client_for):
    do_set_restriction(department.a.patient, restriction="vip", note="board member", acting_user=department.manager)
    biller = department.biller
    response = client_for(biller).get("/reports/dnfb/list/", {**RANGE, "period": "2025-03-01",
                                                              "series": "encounters"})
    assert [row["cells"][0] for row in response.context["rows"]] == ["ACC-D", "ACC-C", "ACC-B"]
    assert response.context["hidden"] == 1
    assert "PersonA" not in response.content.decode()


def test_report_exports_parse_back_as_csv_and_xlsx(department, client_for):
    client = client_for(department.manager)
    exported = client.get("/reports/coding-backlog/", {**RANGE, "format": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0] == ["Period", "Waiting for coding", "Coded in the period", "Oldest (days)", "Average days waiting"]
    assert rows[1:] == [["2025-02", "0", "1", "", ""], ["2025-03", "2", "2", "29", "25.5"]]
    workbook = client.get("/reports/coding-backlog/", {**RANGE, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)][1:] == [
        ["2025-02", 0, 1, None, None], ["2025-03", 2, 2, 29, 25.5]]


def test_drill_down_exports_are_audited_and_hold_the_listed_rows(department, client_for):
    manager = department.manager
    client = client_for(manager)
    query = {**RANGE, "period": "2025-03-01", "series": "waiting"}
    exported = client.get("/reports/coding-backlog/list/", {**query, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(exported.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Account", "Patient", "MRN")
    assert [row[0] for row in rows[1:]] == ["ACC-A", "ACC-B"]
    event = AuditEvent.objects.filter(user=manager, object_type="report_coding_backlog").latest("sequence")
    assert event.detail["export"] == "xlsx" and event.detail["count"] == 2
    as_csv = client.get("/reports/coding-backlog/list/", {**query, "format": "csv"})
    assert [row[0] for row in csv.reader(io.StringIO(as_csv.content.decode()))][1:] == ["ACC-A", "ACC-B"]


@pytest.mark.parametrize("query, field", [
    ({"since": "2025-03-31", "until": "2025-02-01"}, "until"),
    ({"since": "not a date"}, "since"),
    ({"grain": "year"}, "grain"),
    ({"since": "2024-01-01", "until": "2025-03-31", "grain": "day"}, "grain"),
    ({"service": "No such service"}, "service"),
])
def test_bad_filters_are_a_form_error_naming_the_field(query, field, department, client_for):
    response = client_for(department.manager).get("/reports/dnfb/", {**RANGE, **query})
    assert response.status_code == 400
    assert field in response.context["form"].errors


def test_the_delinquency_report_is_by_month_only(department, client_for):
    response = client_for(department.manager).get("/reports/delinquency/", {**RANGE, "grain": "week"})
    assert response.status_code == 400
    assert "grain" in response.context["form"].errors


@pytest.mark.parametrize("query", [{"period": "2025-03-02", "series": "encounters"},
                                   {"period": "2025-03-01", "series": "nonsense"}, {}])
def test_a_drill_down_to_no_point_of_the_report_is_not_found(query, department, client_for):
    response = client_for(department.manager).get("/reports/dnfb/list/", {**RANGE, **query})
    assert response.status_code == 404


def test_the_printable_pdf_holds_the_filters_the_plot_and_the_numbers(department, client_for):
    from pypdf import PdfReader

    response = client_for(department.manager).get("/reports/dnfb/", {**RANGE, "service": "Medicine",
                                                                     "format": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Discharged, not final billed (DNFB)" in text
    assert "2025-02-01 to 2025-03-31 by month; Service: Medicine" in text
    assert "$150.00" in text  # D, held by the scrubber, is a Medicine stay
    assert sum(len(page.images) for page in reader.pages) == 1


def test_a_plot_is_refused_to_roles_without_the_report_and_bad_filters_find_no_plot(department, client_for):
    assert client_for(department.coder).get("/reports/dnfb/plot.svg", RANGE).status_code == 403
    assert client_for(department.manager).get("/reports/dnfb/plot.svg", {**RANGE, "grain": "year"}).status_code == 404
