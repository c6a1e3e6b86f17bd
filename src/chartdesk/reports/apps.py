from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "chartdesk.reports"
    label = "reports"
    verbose_name = "Reports and work lists"
