from django.urls import path

from chartdesk.core import views

urlpatterns = [
    path("healthz", views.healthz, name="core-healthz"),
]
