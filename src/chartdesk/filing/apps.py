from django.apps import AppConfig


class FilingConfig(AppConfig):
    name = "chartdesk.filing"
    label = "filing"
    verbose_name = "Paper records, scanning and retention"

    def ready(self) -> None:
        from chartdesk.core.registry import register_demo_builder
        from chartdesk.filing.demo import filing_demo_stage

        register_demo_builder("filing", 80, filing_demo_stage)
