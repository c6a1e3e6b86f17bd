from django.urls import path

from chartdesk.audit import views

urlpatterns = [
    path("", views.reports_view, name="audit-reports"),
    path("patient/", views.patient_report_view, name="audit-patient"),
    path("user/", views.user_report_view, name="audit-user"),
]
