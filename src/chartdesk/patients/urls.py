from django.urls import path

from chartdesk.patients import duplicate_views, merge_views, views

urlpatterns = [
    path("", views.search_view, name="patients-search"),
    path("register/", views.register_view, name="patients-register"),
    path("incomplete/", views.incomplete_view, name="patients-incomplete"),
    path("duplicates/", duplicate_views.work_list_view, name="patients-duplicates"),
    path("duplicates/<int:pair_id>/", duplicate_views.pair_view, name="patients-duplicate-pair"),
    path("<int:patient_id>/edit/", views.edit_view, name="patients-edit"),
    path("<int:patient_id>/identifiers/", views.identifiers_view, name="patients-identifiers"),
    path("<int:patient_id>/restriction/", views.restriction_view, name="patients-restriction"),
    path("<int:patient_id>/break-the-glass/", views.break_the_glass_view, name="patients-break-glass"),
    path("<int:patient_id>/reveal-ssn/", views.reveal_ssn_view, name="patients-reveal-ssn"),
    path("<int:patient_id>/merges/", merge_views.merge_history_view, name="patients-merges"),
    path("<int:patient_id>/merge/", merge_views.merge_search_view, name="patients-merge-search"),
    path("<int:patient_id>/merge/<int:duplicate_id>/", merge_views.merge_compare_view, name="patients-merge-compare"),
    path("merges/<int:merge_id>/unmerge/", merge_views.unmerge_view, name="patients-unmerge"),
]
