from django.apps import AppConfig


class ScheduleConfig(AppConfig):
    name = "chartdesk.schedule"
    label = "schedule"
    verbose_name = "Front office: schedules, appointments, check-in and check-out"

    def ready(self) -> None:
        # The file room's pick list fills from appointments without filing importing the schedule.
        from chartdesk.schedule.picks import register

        register()

        # Billing's 270 eligibility inquiry asks about the coming days' appointments.
        from chartdesk.schedule.eligibility import register as register_eligibility

        register_eligibility()

        from chartdesk.core.registry import register_demo_builder
        from chartdesk.schedule.demo import schedule_demo_stage

        register_demo_builder("schedule", 90, schedule_demo_stage)  # after filing's paper charts (80)
