from django.apps import AppConfig


class ChartsConfig(AppConfig):
    name = "chartdesk.charts"
    label = "charts"
    verbose_name = "Legal health record"
