from django.urls import path

from chartdesk.patients import views

urlpatterns = [
    path("", views.search_view, name="patients-search"),
    path("register/", views.register_view, name="patients-register"),
    path("<int:patient_id>/edit/", views.edit_view, name="patients-edit"),
    path("<int:patient_id>/identifiers/", views.identifiers_view, name="patients-identifiers"),
    path("<int:patient_id>/restriction/", views.restriction_view, name="patients-restriction"),
    path("<int:patient_id>/break-the-glass/", views.break_the_glass_view, name="patients-break-glass"),
    path("<int:patient_id>/reveal-ssn/", views.reveal_ssn_view, name="patients-reveal-ssn"),
]
