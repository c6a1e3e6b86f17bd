from django.apps import AppConfig


class TranscriptionConfig(AppConfig):
    name = "chartdesk.transcription"
    label = "transcription"
    verbose_name = "Transcription"

    def ready(self) -> None:
        # A dictation is signed when its document is: the receiver lives here, so charts never
        # imports transcription (see hooks.py).
        from chartdesk.transcription import hooks

        hooks.connect()
