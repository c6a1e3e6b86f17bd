"""Serving with several worker processes (`chartdesk serve --workers N`): gunicorn, pre-forking.

Nothing a request depends on lives in one process: sessions are in the database, log-in attempts
(django-axes) in the database, the job queue in the database, the audit chain's next number and hash
in its locked head row. The caches that do live in a process (code-set lookups, the outbound HL7
destinations) hold reference data and are each filled on first use per process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connections

ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s'
Environ = dict[str, Any]
StartResponse = Callable[..., Any]


class TrustedProxy:
    """What waitress's trusted_proxy does, for gunicorn: from the named proxy, the last address of
    X-Forwarded-For becomes REMOTE_ADDR (what the audit log records) and X-Forwarded-Proto the scheme;
    from anyone else both headers are dropped, so a client cannot choose its recorded address."""

    def __init__(self, application: Callable[[Environ, StartResponse], Iterable[bytes]], proxy: str) -> None:
        self.application = application
        self.proxy = proxy

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        forwarded_for = environ.pop("HTTP_X_FORWARDED_FOR", "")
        forwarded_proto = environ.pop("HTTP_X_FORWARDED_PROTO", "")
        if environ.get("REMOTE_ADDR") == self.proxy:
            if forwarded_for:
                environ["REMOTE_ADDR"] = forwarded_for.split(",")[-1].strip()
            if forwarded_proto in ("http", "https"):
                environ["wsgi.url_scheme"] = forwarded_proto
        return self.application(environ, start_response)


def close_before_fork() -> None:
    """The checks before serving opened a connection, and with CHARTDESK_DB_POOL_MAX a pool holding it
    (closing a pooled connection only hands it back to the pool). Every forked worker would inherit
    that pool and its open sockets, and two workers talking over one socket read each other's
    results: another session's row, or a "BEGIN" where rows were expected. So the master closes the
    pools as well as the connections, and each worker opens its own pool on its first request."""
    connections.close_all()
    for connection in connections.all():
        close_pool = getattr(connection, "close_pool", None)  # PostgreSQL's wrapper only
        if callable(close_pool) and connection.settings_dict["OPTIONS"].get("pool"):
            close_pool()


def serve_with_workers(*, host: str, port: int, workers: int, threads: int, trusted_proxy: str | None,
                       on_worker_start: Callable[[], None]) -> None:
    from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

    close_before_fork()

    class Desk(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            for name, value in {"bind": bind, "workers": workers, "threads": threads,
                                "worker_class": "gthread" if threads > 1 else "sync",
                                "limit_request_line": 8190, "timeout": 120, "graceful_timeout": 30,
                                # The worker's process id on each line: which process served a request.
                                "accesslog": "-", "access_log_format": ACCESS_LOG_FORMAT,
                                "post_worker_init": lambda worker: on_worker_start()}.items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            from chartdesk.wsgi import application

            return TrustedProxy(application, trusted_proxy) if trusted_proxy else application

    Desk().run()
