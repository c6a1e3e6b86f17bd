"""/interop: desk pages of the interoperability area (the FHIR API itself is under /fhir)."""

from django.urls import path

from chartdesk.interop import desk_views

urlpatterns = [
    path("clients/", desk_views.clients_view, name="interop-clients"),
    path("clients/new/", desk_views.client_create_view, name="interop-client-create"),
    path("clients/<int:client_id>/revoke/", desk_views.client_revoke_view, name="interop-client-revoke"),
]
