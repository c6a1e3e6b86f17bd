from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "chartdesk.disclosures"
    label = "disclosures"
    verbose_name = "Release of information and privacy"
