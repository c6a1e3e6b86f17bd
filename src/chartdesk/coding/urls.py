from django.urls import path

from chartdesk.coding import views

urlpatterns = [
    path("encoder/", views.encoder_view, name="coding-encoder"),
    path("code/<str:system>/<str:code>/", views.code_view, name="coding-code"),
    path("pcs/", views.pcs_builder_view, name="coding-pcs-builder"),
    path("check/", views.check_view, name="coding-check"),
    path("releases/", views.releases_view, name="coding-releases"),
]
