"""/interop: desk pages of the interoperability area (the FHIR API itself is under /fhir)."""

from django.urls import path

from chartdesk.interop import desk_views, hl7_views, outbound_views

urlpatterns = [
    path("clients/", desk_views.clients_view, name="interop-clients"),
    path("clients/new/", desk_views.client_create_view, name="interop-client-create"),
    path("clients/<int:client_id>/revoke/", desk_views.client_revoke_view, name="interop-client-revoke"),
    path("hl7/", hl7_views.hl7_queue_view, name="interop-hl7-queue"),
    path("hl7/<int:hl7_message_id>/", hl7_views.hl7_message_view, name="interop-hl7-message"),
    path("hl7/<int:hl7_message_id>/reprocess/", hl7_views.hl7_reprocess_view, name="interop-hl7-reprocess"),
    path("hl7/<int:hl7_message_id>/ignore/", hl7_views.hl7_ignore_view, name="interop-hl7-ignore"),
    path("hl7/dead-letters/", outbound_views.hl7_dead_letters_view, name="interop-hl7-dead-letters"),
    path("hl7/dead-letters/<int:outbound_id>/resend/", outbound_views.hl7_resend_view, name="interop-hl7-resend"),
]
