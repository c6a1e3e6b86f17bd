from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "chartdesk.interop"
    label = "interop"
    verbose_name = "Interoperability: FHIR API, imports, bulk export, HL7 v2 intake"

    def ready(self) -> None:
        from chartdesk.patients.merging import KEEP, register_merge_policy

        # A stored HL7 message is evidence of what arrived, about whom, at the time: it stays with the
        # record it was filed on (the merge's audit trail links the two charts).
        register_merge_policy("interop.Hl7Message", "patient", KEEP)

        # The FHIR content of each version is kept when a change commits; the receivers live here so
        # that patients, charts, clinical and billing never import interop (see fhir/versions.py).
        from chartdesk.interop.fhir import versions

        versions.connect()

        # Outbound ADT: the domain actions announce registrations, updates and merges (core.notices)
        # and the outbox row is written in their transaction (hl7v2/outbound.py).
        from chartdesk.core.notices import listen
        from chartdesk.interop.hl7v2.outbound import queue_notice

        listen(queue_notice)
