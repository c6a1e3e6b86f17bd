from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "chartdesk.clinical"
    label = "clinical"
    verbose_name = "Diagnoses, procedures and organisations from the clinical record"
