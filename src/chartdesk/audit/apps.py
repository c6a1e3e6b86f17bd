from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "chartdesk.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from chartdesk.audit import signals  # noqa: F401  (log-in, log-out, role changes)
