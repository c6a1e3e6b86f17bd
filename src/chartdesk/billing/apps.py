from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "chartdesk.billing"
    label = "billing"
    verbose_name = "Billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chartdesk.billing.demo import billing_demo_stage
        from chartdesk.core.registry import register_demo_builder

        register_demo_builder("billing", 70, billing_demo_stage)

        # The coding queue shows payers and DNFB dollars from billing without importing it.
        from chartdesk.billing.queue_source import register

        register()
