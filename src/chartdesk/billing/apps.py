from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "chartdesk.billing"
    label = "billing"
    verbose_name = "Billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The coding queue shows payers and DNFB dollars from billing without importing it.
        from chartdesk.billing.queue_source import register

        register()
