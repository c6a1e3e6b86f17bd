from django.apps import AppConfig


class FilingConfig(AppConfig):
    name = "chartdesk.filing"
    label = "filing"
    verbose_name = "Paper records, scanning and retention"
