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

        from chartdesk.completion.demo import analyse_pending, mark_delinquent
        from chartdesk.core.registry import register_demo_nightly, register_demo_settler

        register_demo_settler("completion", analyse_pending)
        register_demo_nightly("delinquency", mark_delinquent)
