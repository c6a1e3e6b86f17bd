from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "chartdesk.reports"
    label = "reports"
    verbose_name = "Reports and work lists"

    def warm_up(self) -> None:
        """Import matplotlib before the first request (seconds that would otherwise land on the first
        report or manager's home page after a start)."""
        from matplotlib.backends import backend_svg  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401
