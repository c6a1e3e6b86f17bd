from django.urls import path

from chartdesk.completion import views

urlpatterns = [
    path("queue/", views.queue_view, name="completion-queue"),
    path("deficiency/<int:deficiency_id>/", views.deficiency_view, name="completion-deficiency"),
    path("review/", views.review_view, name="completion-review"),
    path("review/<int:deficiency_id>/", views.review_deficiency_view, name="completion-review-deficiency"),
    path("delinquency/", views.delinquency_view, name="completion-delinquency"),
    path("rules/", views.rules_view, name="completion-rules"),
    path("rules/<int:rule_id>/", views.rule_view, name="completion-rule"),
]
