from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "chartdesk.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from chartdesk.accounts.demo import load_staff_demo
        from chartdesk.core.registry import register_demo_builder

        register_demo_builder("staff", 10, load_staff_demo)

        from django.db.models.signals import post_migrate

        from chartdesk.accounts.roles import sync_roles_after_migrate

        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="chartdesk-sync-roles")

        from chartdesk.accounts import checks  # noqa: F401  (registers the demo-accounts check)
        from chartdesk.accounts.roles import desk_role_context
        from chartdesk.core.registry import register_desk_context

        register_desk_context(desk_role_context)
