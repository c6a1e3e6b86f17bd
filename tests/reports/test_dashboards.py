"""Each role's home page: the manager's trends, the coder's and biller's own work, ROI by due date."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from chartdesk.coding.workflow.models import CaseStatus, CodingCase
from chartdesk.disclosures.models import ReleaseRequest
from tests.support import factories


def test_the_managers_home_shows_each_reports_trend_with_its_numbers(department, client_for):
    page = client_for(department.manager).get("/")
    html = page.content.decode()
    assert [tile.report.slug for tile in page.context["glance"]] == [
        "dnfb", "coding-backlog", "delinquency", "roi-turnaround", "coder-productivity", "denial-rate",
        "days-in-ar", "case-mix", "duplicate-rate"]
    dnfb = page.context["glance"][0]
    # Now: A and F never coded, B on hold for its query, C not charged, D held by the scrubber.
    assert dnfb.value == "5"
    assert len(dnfb.rows) == 6 and dnfb.rows[-1][1] == "5"
    assert html.count('src="/reports/') == 9
    assert 'href="/reports/dnfb/?since=' in html
    plot = client_for(department.manager).get(dnfb.plot_url)
    assert plot["Content-Type"] == "image/svg+xml"
    assert b"<title>Discharged, not final billed (DNFB)</title>" in plot.content


def test_the_coders_home_shows_their_own_work_and_the_backlog(department, client_for):
    CodingCase.objects.create(encounter=department.f, status=CaseStatus.READY, assigned_to=department.coder)
    page = client_for(department.coder).get("/")
    work = page.context["coder_work"]
    assert (work["assigned_waiting"], work["backlog"], work["coded_this_month"]) == (1, 3, 0)
    assert f"coder={department.coder.pk}" in work["mine_url"]
    assert "glance" not in page.context and "biller_dnfb" not in page.context


def test_the_billers_home_shows_dnfb_now_by_reason(department, client_for):
    page = client_for(department.biller).get("/")
    rows = {row["label"]: row for row in page.context["biller_dnfb"]["rows"]}
    assert (rows["Not coded"]["encounters"], rows["Query pending"]["encounters"]) == (2, 1)
    assert (rows["Held by scrubber edit"]["encounters"], rows["Held by scrubber edit"]["dollars"]) == (1, "$150.00")
    listed = client_for(department.biller).get(rows["Not coded"]["url"])
    assert [row["cells"][0] for row in listed.context["rows"]] == ["ACC-A", "ACC-F"]


def test_the_roi_home_shows_open_requests_by_due_date(department, client_for):
    today = timezone.localdate()
    for number, due in (("OVER", today - timedelta(days=1)), ("SOON", today + timedelta(days=3)),
                        ("LATER", today + timedelta(days=20))):
        ReleaseRequest.objects.create(number=number, patient=department.a.patient, requester_type="patient",
                                      requester_name="Pat", purpose="access", received_on=today - timedelta(days=5),
                                      due_on=due)
    page = client_for(department.roi).get("/")
    assert page.context["roi_due"] == {"overdue": 1, "due_this_week": 1, "later": 1, "no_due_date": 0}


def test_roles_without_report_permissions_see_no_dashboard(department, client_for):
    page = client_for(factories.make_user("registrar")).get("/")
    assert page.status_code == 200
    assert not {"glance", "coder_work", "biller_dnfb", "roi_due"} & set(page.context.keys())


def test_a_served_plot_allows_only_its_own_inline_styles(department, client_for):
    plot = client_for(department.manager).get("/reports/dnfb/plot.svg")
    assert plot["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
