from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "chartdesk.disclosures"
    label = "disclosures"
    verbose_name = "Release of information and privacy"

    def ready(self) -> None:
        from chartdesk.core.registry import register_demo_builder
        from chartdesk.disclosures.demo import disclosures_demo_stage

        register_demo_builder("disclosures", 50, disclosures_demo_stage)
