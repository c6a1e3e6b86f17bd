from django.urls import path

from chartdesk.reports import views

urlpatterns = [path("", views.home, name="core-home")]
