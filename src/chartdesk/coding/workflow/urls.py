from django.urls import path

from chartdesk.coding.workflow import views

urlpatterns = [
    path("", views.queue_view, name="coding-work-queue"),
    path("encounter/<int:encounter_id>/", views.encounter_view, name="coding-work-encounter"),
    path("encounter/<int:encounter_id>/start/", views.start_view, name="coding-work-start"),
    path("encounter/<int:encounter_id>/assign/", views.assign_view, name="coding-work-assign"),
    path("encounter/<int:encounter_id>/codes/", views.codes_view, name="coding-work-codes"),
    path("encounter/<int:encounter_id>/abstract/", views.abstract_view, name="coding-work-abstract"),
    path("encounter/<int:encounter_id>/nearest-release/", views.nearest_release_view,
         name="coding-work-nearest-release"),
    path("encounter/<int:encounter_id>/query/", views.query_new_view, name="coding-work-query-new"),
    path("encounter/<int:encounter_id>/complete/", views.complete_view, name="coding-work-complete"),
    path("encounter/<int:encounter_id>/review/", views.review_view, name="coding-work-review"),
    path("encounter/<int:encounter_id>/suggestion/", views.suggestion_view, name="coding-work-suggestion"),
    path("encoder/", views.encoder_view, name="coding-work-encoder"),
    path("queries/", views.my_queries_view, name="coding-work-my-queries"),
    path("query/<int:query_id>/", views.query_view, name="coding-work-query"),
    path("report/", views.report_view, name="coding-work-report"),
    path("case-mix/", views.case_mix_view, name="coding-work-case-mix"),
]
