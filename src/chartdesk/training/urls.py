from django.urls import path

from chartdesk.training import authoring_views, exam_views, views

urlpatterns = [
    path("", views.student_home, name="training-home"),
    path("enrollment/<str:enrollment_id>/exercise/<str:exercise_id>/", views.exercise_view, name="training-exercise"),
    path("enrollment/<str:enrollment_id>/reset/", views.reset_view, name="training-reset"),
    path("attempt/<str:attempt_id>/", views.attempt_view, name="training-attempt"),
    path("courses/", views.courses_view, name="training-courses"),
    path("courses/<str:course_id>/", views.course_view, name="training-course"),
    path("courses/<str:course_id>/gradebook.csv", views.course_csv_view, name="training-course-csv"),
    path("courses/<str:course_id>/exams/new/", exam_views.exam_new_view, name="training-exam-new"),
    path("exam/<str:exam_id>/", exam_views.exam_view, name="training-exam"),
    path("sitting/<str:sitting_id>/", exam_views.sitting_view, name="training-sitting"),
    path("sitting/<str:sitting_id>/item/<str:item_id>/", exam_views.sitting_item_view, name="training-sitting-item"),
    path("sitting/<str:sitting_id>/submit/", exam_views.sitting_submit_view, name="training-sitting-submit"),
    path("exercises/", authoring_views.authored_list_view, name="training-authored-list"),
    path("exercises/<str:authored_id>/", authoring_views.authored_view, name="training-authored"),
    path("exercises/<str:authored_id>/retire/", authoring_views.authored_retire_view, name="training-authored-retire"),
    path("key/<str:exercise_id>/", views.key_view, name="training-key"),
]
