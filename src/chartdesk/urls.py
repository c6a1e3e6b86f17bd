"""The URL map. Each app owns its prefix; every view declares its permission (tests/test_urls.py)."""

from django.urls import include, path

urlpatterns = [
    path("", include("chartdesk.core.urls")),
    path("", include("chartdesk.reports.urls")),
    path("accounts/", include("chartdesk.accounts.urls")),
    path("patients/", include("chartdesk.patients.urls")),
    path("charts/", include("chartdesk.charts.urls")),
    path("audit/", include("chartdesk.audit.urls")),
    path("disclosures/", include("chartdesk.disclosures.urls")),
    path("fhir/", include("chartdesk.interop.urls")),
    path("interop/", include("chartdesk.interop.desk_urls")),
    path("coding/", include("chartdesk.coding.urls")),
    path("coding/work/", include("chartdesk.coding.workflow.urls")),
    path("billing/", include("chartdesk.billing.urls")),
    path("completion/", include("chartdesk.completion.urls")),
    path("transcription/", include("chartdesk.transcription.urls")),
    path("filing/", include("chartdesk.filing.urls")),
    path("jobs/", include("chartdesk.jobs.urls")),
    path("schedule/", include("chartdesk.schedule.urls")),
    path("training/", include("chartdesk.training.urls")),
]

handler404 = "chartdesk.core.views.not_found"
handler403 = "chartdesk.core.views.forbidden"
handler500 = "chartdesk.core.views.server_error"
