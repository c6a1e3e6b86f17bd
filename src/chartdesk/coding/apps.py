from django.apps import AppConfig


class CodingConfig(AppConfig):
    name = "chartdesk.coding"
    label = "coding"
    verbose_name = "Coding: code sets, encoder and edits"

    def warm_up(self) -> None:
        """Build the suggestion engine's dictionary before the first coder needs it (seconds of work
        that would otherwise land on the first coding screen after a start)."""
        from chartdesk.coding.suggest.lexicon import load_lexicon

        load_lexicon()
