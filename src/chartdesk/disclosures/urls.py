from django.urls import path

from chartdesk.disclosures import privacy_views, views

urlpatterns = [
    path("", views.queue_view, name="disclosures-queue"),
    path("requests/new/", views.request_new_view, name="disclosures-request-new"),
    path("requests/<int:request_id>/", views.request_view, name="disclosures-request"),
    path("requests/<int:request_id>/<slug:step>/", views.request_step_view, name="disclosures-request-step"),
    path("packet/<int:packet_id>/", views.packet_file_view, name="disclosures-packet"),
    path("packet/<int:packet_id>/link/", views.packet_link_view, name="disclosures-packet-link"),
    path("download/<str:token>/", views.download_view, name="disclosures-download"),
    path("patient/<int:patient_id>/authorizations/new/", views.authorization_new_view,
         name="disclosures-authorization-new"),
    path("privacy/", privacy_views.privacy_home_view, name="disclosures-privacy"),
    path("privacy/patient/<int:patient_id>/", privacy_views.patient_privacy_view, name="disclosures-patient-privacy"),
    path("privacy/patient/<int:patient_id>/<slug:step>/", privacy_views.patient_privacy_step_view,
         name="disclosures-patient-privacy-step"),
    path("amendment/<int:amendment_id>/", privacy_views.amendment_view, name="disclosures-amendment"),
    path("amendment/<int:amendment_id>/<slug:step>/", privacy_views.amendment_step_view,
         name="disclosures-amendment-step"),
    path("restriction/<int:restriction_id>/decide/", privacy_views.restriction_decide_view,
         name="disclosures-restriction-decide"),
    path("accounting/<int:accounting_id>/", privacy_views.accounting_view, name="disclosures-accounting"),
    path("accounting/<int:accounting_id>/letter/", privacy_views.accounting_letter_view,
         name="disclosures-accounting-letter"),
    path("deidentified/", privacy_views.deid_export_view, name="disclosures-deid"),
    path("deidentified/<int:job_id>/download/", privacy_views.deid_download_view, name="disclosures-deid-download"),
]
