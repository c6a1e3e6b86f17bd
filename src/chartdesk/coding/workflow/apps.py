from django.apps import AppConfig


class CodingWorkflowConfig(AppConfig):
    name = "chartdesk.coding.workflow"
    label = "coding_workflow"
    verbose_name = "Coding workflow: queue, coding, queries, review"
