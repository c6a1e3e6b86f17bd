from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "chartdesk.core"
    label = "core"
    verbose_name = "Chartdesk core"

    def ready(self) -> None:
        from chartdesk.core import checks  # noqa: F401  (registers system checks)
