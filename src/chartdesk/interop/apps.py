from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "chartdesk.interop"
    label = "interop"
    verbose_name = "Interoperability: FHIR API, imports, bulk export, HL7 v2 intake"
