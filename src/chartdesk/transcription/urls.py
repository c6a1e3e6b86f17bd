from django.urls import path

from chartdesk.transcription import views

urlpatterns = [
    path("patient/<int:patient_id>/dictate/", views.upload_view, name="transcription-upload"),
    path("queue/", views.queue_view, name="transcription-queue"),
    path("drafts/", views.author_queue_view, name="transcription-author-queue"),
    path("dictation/<int:dictation_id>/", views.dictation_view, name="transcription-dictation"),
    path("dictation/<int:dictation_id>/audio/", views.audio_view, name="transcription-audio"),
]
