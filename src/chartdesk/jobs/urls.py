from django.urls import path

from chartdesk.jobs import views

urlpatterns = [
    path("", views.jobs_view, name="jobs-list"),
    path("<int:job_id>/retry/", views.retry_view, name="jobs-retry"),
]
