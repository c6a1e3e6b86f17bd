from django.apps import AppConfig


class CodingConfig(AppConfig):
    name = "chartdesk.coding"
    label = "coding"
    verbose_name = "Coding: code sets, encoder and edits"
