from django.apps import AppConfig


class CodingWorkflowConfig(AppConfig):
    name = "chartdesk.coding.workflow"
    label = "coding_workflow"
    verbose_name = "Coding workflow: queue, coding, queries, review"

    def ready(self) -> None:
        from chartdesk.coding.workflow.demo import coding_demo_stage
        from chartdesk.core.registry import register_demo_builder

        register_demo_builder("coding", 60, coding_demo_stage)
