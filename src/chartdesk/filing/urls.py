from django.urls import path

from chartdesk.filing import retention_views, scan_views, views

urlpatterns = [
    path("", views.desk_view, name="filing-desk"),
    path("chart/<int:chart_id>/", views.chart_view, name="filing-chart"),
    path("chart/<int:chart_id>/label.pdf", views.chart_label_view, name="filing-chart-label"),
    path("chart/<int:chart_id>/out-guide.pdf", views.out_guide_view, name="filing-out-guide"),
    path("patient/<int:patient_id>/", views.patient_charts_view, name="filing-patient"),
    path("overdue/", views.overdue_view, name="filing-overdue"),
    path("rooms/", views.file_rooms_view, name="filing-rooms"),
    path("missing/", views.missing_view, name="filing-missing"),
    path("pick-list/", views.pick_list_view, name="filing-pick-list"),
    path("expected-visits/import/", views.expected_visits_import_view, name="filing-import-visits"),
    path("scanning/", scan_views.batches_view, name="filing-batches"),
    path("scanning/separator-sheet.pdf", views.separator_sheet_view, name="filing-separator-sheet"),
    path("scanning/batch/<int:scan_batch_id>/", scan_views.batch_view, name="filing-batch"),
    path("scanning/batch/<int:scan_batch_id>/page-<int:page>.png", scan_views.batch_page_thumbnail_view,
         name="filing-batch-page"),
    path("scanning/pages/<int:scan_id>/", scan_views.scan_view, name="filing-scan"),
    path("scanning/pages/<int:scan_id>/file/", scan_views.scan_pages_view, name="filing-scan-pages"),
    path("retention/", retention_views.retention_view, name="filing-retention"),
    path("retention/holds/new/", retention_views.hold_new_view, name="filing-hold-new"),
    path("retention/holds/<int:hold_id>/", retention_views.hold_release_view, name="filing-hold"),
    path("retention/certificates/<int:certificate_id>/", retention_views.certificate_view,
         name="filing-certificate"),
]
