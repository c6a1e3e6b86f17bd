from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "chartdesk.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
