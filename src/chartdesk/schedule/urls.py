from django.urls import path

from chartdesk.schedule import views

urlpatterns = [
    path("", views.day_sheet_view, name="schedule-day-sheet"),
    path("appointment/<int:appointment_id>/", views.appointment_view, name="schedule-appointment"),
    path("calendar/<int:schedule_id>/", views.calendar_view, name="schedule-calendar"),
    path("book/", views.book_view, name="schedule-book"),
    path("next-free/", views.next_free_view, name="schedule-next-free"),
]
