from django.urls import path

from chartdesk.reports import report_views, schedule_views, views
from chartdesk.reports.framework import all_reports

urlpatterns = [
    path("", views.home, name="core-home"),
    path("reports/", report_views.reports_index, name="reports-index"),
    path("reports/scheduled/", schedule_views.scheduled_reports, name="reports-scheduled"),
    path("reports/scheduled/send-due/", schedule_views.send_due_now, name="reports-scheduled-send"),
    path("reports/scheduled/<str:schedule_id>/active/", schedule_views.scheduled_report_active,
         name="reports-scheduled-active"),
]
for _report in all_reports():
    urlpatterns += [
        path(f"reports/{_report.slug}/", report_views.report_view(_report), name=f"reports-{_report.slug}"),
        path(f"reports/{_report.slug}/list/", report_views.drill_down_view(_report),
             name=f"reports-{_report.slug}-list"),
        path(f"reports/{_report.slug}/plot.svg", report_views.plot_view(_report), name=f"reports-{_report.slug}-plot"),
    ]
