from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "chartdesk.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from chartdesk.audit import signals  # noqa: F401  (log-in, log-out, role changes)
        from chartdesk.audit.actions import record_event
        from chartdesk.audit.verify import checkpoint_warnings_after_restore, verify_chain
        from chartdesk.core import registry

        # Core's refused pages, backups and restores go on the trail through these (core imports no app).
        registry.register_audit(record_event, verify_chain)
        registry.register_restore_check(checkpoint_warnings_after_restore)
