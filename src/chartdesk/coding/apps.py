from django.apps import AppConfig


class CodingConfig(AppConfig):
    name = "chartdesk.coding"
    label = "coding"
    verbose_name = "Coding: code sets, encoder and edits"

    def ready(self) -> None:
        from chartdesk.core.registry import register_phrase_source

        register_phrase_source("ICD-10-CM category titles", category_titles)

    def warm_up(self) -> None:
        """Build the suggestion engine's dictionary before the first coder needs it (seconds of work
        that would otherwise land on the first coding screen after a start)."""
        from chartdesk.coding.suggest.lexicon import load_lexicon

        load_lexicon()


def category_titles() -> list[str]:
    """The titles of the current ICD-10-CM release's categories: the vocabulary of diagnoses, for the
    speech engine's language model (about 1,900 phrases; empty until a release is loaded)."""
    from chartdesk.coding.models import Code, CodeLevel, CodeSetRelease, CodeSystem

    release = CodeSetRelease.objects.current(CodeSystem.ICD10CM)
    if release is None:
        return []
    return list(Code.objects.filter(release=release, level=CodeLevel.CATEGORY).values_list("title", flat=True))
