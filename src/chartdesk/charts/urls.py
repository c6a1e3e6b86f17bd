from django.urls import path

from chartdesk.charts import document_views, overlay_views, views

urlpatterns = [
    path("patient/<int:patient_id>/", views.chart_view, name="charts-chart"),
    path("patient/<int:patient_id>/encounters/new/", views.encounter_new_view, name="charts-encounter-new"),
    path("patient/<int:patient_id>/notes/new/", views.note_new_view, name="charts-note-new"),
    path("patient/<int:patient_id>/upload/", views.upload_view, name="charts-upload"),
    path("encounter/<int:encounter_id>/", views.encounter_view, name="charts-encounter"),
    path("encounter/<int:encounter_id>/discharge/", views.encounter_discharge_view, name="charts-encounter-discharge"),
    path("encounter/<int:encounter_id>/finish/", views.encounter_finish_view, name="charts-encounter-finish"),
    path("encounter/<int:encounter_id>/care-team/", views.encounter_care_team_view, name="charts-encounter-care-team"),
    path("document/<int:document_id>/", document_views.document_view, name="charts-document"),
    path("document/<int:document_id>/edit/", document_views.document_edit_view, name="charts-document-edit"),
    path("document/<int:document_id>/sign/", document_views.document_sign_view, name="charts-document-sign"),
    path("document/<int:document_id>/correct/", document_views.document_correct_view, name="charts-document-correct"),
    path("document/<int:document_id>/addendum/", document_views.document_addendum_view,
         name="charts-document-addendum"),
    path("document/<int:document_id>/retract/", document_views.document_retract_view, name="charts-document-retract"),
    path("file/<int:version_id>/", document_views.document_file_view, name="charts-document-file"),
    path("addendum/<int:addendum_id>/sign/", document_views.addendum_sign_view, name="charts-addendum-sign"),
    path("overlays/", overlay_views.overlay_list_view, name="charts-overlays"),
    path("overlays/scan/", overlay_views.overlay_scan_view, name="charts-overlay-scan"),
    path("overlays/<int:case_id>/", overlay_views.overlay_case_view, name="charts-overlay-case"),
]
