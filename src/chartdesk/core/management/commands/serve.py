"""`chartdesk serve`: the desk on waitress (gunicorn with --workers), after the checks that keep a broken
setup from serving."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from chartdesk.cli import invocation

logger = logging.getLogger("chartdesk.serve")


def unapplied_migrations() -> list[str]:
    """The migrations the code has and the database lacks, as `app.name`."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, backwards in plan if not backwards]


def warm_up_apps() -> None:
    """Let each app that defines `warm_up()` on its AppConfig fill its caches while the server starts
    taking requests; a failure there is logged and never stops the desk."""
    for config in apps.get_app_configs():
        warm = getattr(config, "warm_up", None)
        if callable(warm):
            try:
                warm()
            except Exception:
                logger.exception("warming up %s failed; it will load on first use", config.label)


class Command(BaseCommand):
    help = "Serve the Chartdesk desk with waitress (static files through whitenoise)."

    # The checks run in handle() instead, with the deployment checks added in production mode.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
        parser.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
        parser.add_argument("--workers", type=int, default=1,
                            help="worker processes (default 1: waitress in this process; more: gunicorn "
                                 "pre-forks that many, each with --threads threads)")
        parser.add_argument(
            "--trusted-proxy",
            default=None,
            metavar="ADDRESS",
            help="address of the TLS-terminating reverse proxy (e.g. 127.0.0.1) whose X-Forwarded-For and "
            "X-Forwarded-Proto headers are believed; from anyone else those headers are dropped",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {port}.")
        if options["threads"] < 1:
            raise CommandError("--threads must be at least 1.")
        if options["workers"] < 1:
            raise CommandError(f"--workers must be at least 1, not {options['workers']}.")
        self.check(display_num_errors=False, include_deployment_checks=settings.MODE == "production")
        missing = unapplied_migrations()
        if missing:
            raise CommandError(
                f"The database lacks {len(missing)} migration(s) (first: {missing[0]}). "
                f"Run `{invocation()} migrate` first, then serve again."
            )

        # Only the named proxy may say who the client is (the audit log records that address) and
        # that the request came over TLS; the same headers from anyone else are dropped.
        proxy: dict[str, Any] = {}
        if options["trusted_proxy"]:
            proxy = {
                "trusted_proxy": options["trusted_proxy"],
                "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
            }
        # whitenoise serves from the app folders (WHITENOISE_USE_FINDERS) and warns at every start
        # when STATIC_ROOT is absent, although `collectstatic` is optional here.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)

        shown_host = f"[{host}]" if ":" in host else host
        if options["workers"] > 1:
            from chartdesk.core.processes import serve_with_workers

            self.stdout.write(f"Chartdesk ({settings.MODE} mode) is serving http://{shown_host}:{port}/ with "
                              f"{options['workers']} worker processes — press Ctrl-C to stop.")
            self.stdout.flush()
            serve_with_workers(host=host, port=port, workers=options["workers"], threads=options["threads"],
                               trusted_proxy=options["trusted_proxy"],
                               on_worker_start=lambda: threading.Thread(target=warm_up_apps, daemon=True,
                                                                        name="chartdesk-warm-up").start())
            return

        from waitress import serve  # type: ignore[import-untyped]

        threading.Thread(target=warm_up_apps, name="chartdesk-warm-up", daemon=True).start()

        from chartdesk.wsgi import application

        self.stdout.write(
            f"Chartdesk ({settings.MODE} mode) is serving http://{shown_host}:{port}/ — press Ctrl-C to stop.",
        )
        self.stdout.flush()
        serve(
            application,
            host=host,
            port=port,
            threads=options["threads"],
            ident="Chartdesk",
            # Uploads may be as large as MAX_UPLOAD_BYTES plus the form around them.
            max_request_body_size=settings.MAX_UPLOAD_BYTES + 1024 * 1024,
            clear_untrusted_proxy_headers=True,
            **proxy,
        )
