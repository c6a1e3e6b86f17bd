from django.urls import path

from chartdesk.transcription import desk_views, editor_views, views

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
    path("templates/", desk_views.templates_view, name="transcription-templates"),
    path("templates/<int:template_id>/", desk_views.template_view, name="transcription-template"),
    path("spelling/", desk_views.spelling_view, name="transcription-spelling"),
    path("dictionary/", desk_views.dictionary_view, name="transcription-dictionary"),
    path("qa/", desk_views.qa_queue_view, name="transcription-qa"),
    path("qa/mine/", desk_views.own_qa_view, name="transcription-own-qa"),
    path("qa/dictation/<int:dictation_id>/", desk_views.qa_review_view, name="transcription-qa-review"),
]
