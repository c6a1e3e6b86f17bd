from django.urls import path

from chartdesk.training import views

urlpatterns = [
    path("", views.student_home, name="training-home"),
    path("enrollment/<str:enrollment_id>/exercise/<str:exercise_id>/", views.exercise_view, name="training-exercise"),
    path("enrollment/<str:enrollment_id>/reset/", views.reset_view, name="training-reset"),
    path("attempt/<str:attempt_id>/", views.attempt_view, name="training-attempt"),
    path("courses/", views.courses_view, name="training-courses"),
    path("courses/<str:course_id>/", views.course_view, name="training-course"),
    path("courses/<str:course_id>/gradebook.csv", views.course_csv_view, name="training-course-csv"),
    path("key/<str:exercise_id>/", views.key_view, name="training-key"),
]
