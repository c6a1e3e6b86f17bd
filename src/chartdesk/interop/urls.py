"""/fhir: the FHIR R4 API. Specific routes ($export, $import, metadata, token) come before the generic
<type>/<id> ones, which would otherwise swallow them."""

from django.urls import path

from chartdesk.interop.fhir import export_views, import_views, views

urlpatterns = [
    path("metadata", views.metadata, name="interop-fhir-metadata"),
    path("auth/token", views.token, name="interop-fhir-token"),
    path("$export", export_views.system_export, name="interop-fhir-export"),
    path("$export-status/<str:job_id>", export_views.export_status, name="interop-fhir-export-status"),
    path("$export-file/<str:job_id>/<str:file_name>", export_views.export_file, name="interop-fhir-export-file"),
    path("$import", import_views.system_import, name="interop-fhir-import"),
    path("$import-status/<str:job_id>", import_views.import_status, name="interop-fhir-import-status"),
    path("Patient/$export", export_views.patient_export, name="interop-fhir-patient-export"),
    path("Group/<str:group_id>/$export", export_views.group_export, name="interop-fhir-group-export"),
    path("Patient/<str:logical_id>/$everything", views.everything, name="interop-fhir-everything"),
    path("<str:resource_type>", views.type_level, name="interop-fhir-type"),
    path("<str:resource_type>/<str:logical_id>", views.instance, name="interop-fhir-instance"),
    path("<str:resource_type>/<str:logical_id>/_history", views.history, name="interop-fhir-history"),
    path("<str:resource_type>/<str:logical_id>/_history/<str:history_version>", views.vread,
         name="interop-fhir-vread"),
]
