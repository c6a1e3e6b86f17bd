from django.apps import AppConfig


class CompletionConfig(AppConfig):
    name = "chartdesk.completion"
    label = "completion"
    verbose_name = "Chart completion"

    def ready(self) -> None:
        # Re-analyse an encounter whenever one of its documents or the encounter itself changes.
        # The receivers live here, so charts never imports completion (see hooks.py).
        from chartdesk.completion import hooks

        hooks.connect()
