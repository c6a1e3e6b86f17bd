from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "chartdesk.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from chartdesk.accounts.roles import sync_roles_after_migrate

        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="chartdesk-sync-roles")
