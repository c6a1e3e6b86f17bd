from django.urls import path

from chartdesk.reports import report_views, views
from chartdesk.reports.framework import all_reports

urlpatterns = [
    path("", views.home, name="core-home"),
    path("reports/", report_views.reports_index, name="reports-index"),
]
for _report in all_reports():
    urlpatterns += [
        path(f"reports/{_report.slug}/", report_views.report_view(_report), name=f"reports-{_report.slug}"),
        path(f"reports/{_report.slug}/list/", report_views.drill_down_view(_report),
             name=f"reports-{_report.slug}-list"),
        path(f"reports/{_report.slug}/plot.svg", report_views.plot_view(_report), name=f"reports-{_report.slug}-plot"),
    ]
