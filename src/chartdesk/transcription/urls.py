from django.urls import path

from chartdesk.transcription import editor_views, views

urlpatterns = [
    path("patient/<int:patient_id>/dictate/", views.upload_view, name="transcription-upload"),
    path("queue/", views.queue_view, name="transcription-queue"),
    path("drafts/", views.author_queue_view, name="transcription-author-queue"),
    path("productivity/", editor_views.productivity_view, name="transcription-productivity"),
    path("dictation/<int:dictation_id>/", views.dictation_view, name="transcription-dictation"),
    path("dictation/<int:dictation_id>/editor/", editor_views.editor_view, name="transcription-editor"),
    path("dictation/<int:dictation_id>/abbreviation/", editor_views.abbreviation_view,
         name="transcription-abbreviation"),
    path("dictation/<int:dictation_id>/audio/", editor_views.audio_view, name="transcription-audio"),
]
