from django.apps import AppConfig


class ChartsConfig(AppConfig):
    name = "chartdesk.charts"
    label = "charts"
    verbose_name = "Legal health record"

    def ready(self) -> None:
        from chartdesk.charts.demo import load_charts_demo
        from chartdesk.core.registry import register_demo_builder

        register_demo_builder("charts", 30, load_charts_demo)

        from chartdesk.accounts.actions import register_provider_linker
        from chartdesk.charts.providers import link_provider_to_user

        register_provider_linker(link_provider_to_user)  # accounts links users to provider records through it

        from chartdesk.charts.models import Document, Encounter
        from chartdesk.patients.chart_records import register_recent_records

        # the duplicate work list shows each chart's latest encounters and documents side by side
        register_recent_records("encounters", lambda patient, count: list(
            Encounter.objects.filter(patient=patient).order_by("-admit_at")[:count]))
        register_recent_records("documents", lambda patient, count: list(
            Document.objects.filter(patient=patient).order_by("-service_date", "-pk")[:count]))

        from chartdesk.charts.overlays import scan_for_command
        from chartdesk.patients.merging import KEEP, register_merge_policy
        from chartdesk.patients.overlay_scan import register_overlay_scan

        register_overlay_scan(scan_for_command)  # `chartdesk patients overlays scan`
        # An overlay case and a move stay with the charts they were about; a merge's survivor is
        # checked again by the next scan or intake.
        register_merge_policy("charts.OverlayCase", "patient", KEEP)
        register_merge_policy("charts.EncounterMove", "from_patient", KEEP)
        register_merge_policy("charts.EncounterMove", "to_patient", KEEP)
