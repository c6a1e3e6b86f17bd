from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "chartdesk.patients"
    label = "patients"
    verbose_name = "Master patient index"
