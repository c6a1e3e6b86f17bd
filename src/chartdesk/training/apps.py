import importlib
import pkgutil

from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "chartdesk.training"
    label = "training"
    verbose_name = "Training: courses, sandboxes, graded exercises"

    def ready(self) -> None:
        from chartdesk.core.registry import register_desk_context, register_sandbox_opener
        from chartdesk.training import kinds
        from chartdesk.training.sandbox import open_sandbox_named, sandbox_desk_context

        # Each kind module registers itself with grading.register_kind when imported; kinds written on
        # other branches need no list kept here.
        for module in pkgutil.iter_modules(kinds.__path__):
            importlib.import_module(f"{kinds.__name__}.{module.name}")
        register_desk_context(sandbox_desk_context)
        register_sandbox_opener(open_sandbox_named)
