from django.urls import path

from chartdesk.core import views

urlpatterns = [
    path("", views.home, name="core-home"),
    path("healthz", views.healthz, name="core-healthz"),
]
