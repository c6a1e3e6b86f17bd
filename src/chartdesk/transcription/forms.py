"""Forms of the transcription desk: the dictation upload and the queue's assignment."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from chartdesk.charts.forms import EncounterChoiceField, ProviderChoiceField, active_providers, encounters_of
from chartdesk.patients.models import Patient
from chartdesk.transcription.audio import EXTENSIONS
from chartdesk.transcription.models import DictationPriority, DictationType


class DictationUploadForm(forms.Form):
    audio = forms.FileField(
        label="Recording",
        help_text="WAV, MP3, M4A/AAC, OGG/Opus or WebM/Opus. The content is checked, not the name.",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(f".{e}" for e in sorted(EXTENSIONS))}),
    )
    document_type = forms.ChoiceField(label="Document type", choices=DictationType.choices)
    priority = forms.ChoiceField(label="Priority", choices=DictationPriority.choices,
                                 initial=DictationPriority.ROUTINE)
    encounter = EncounterChoiceField(label="Encounter", queryset=None, empty_label="Choose…")
    author = ProviderChoiceField(label="Dictating provider", queryset=None, empty_label="Choose…")

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["encounter"].queryset = encounters_of(patient)  # type: ignore[attr-defined]
        self.fields["author"].queryset = active_providers()  # type: ignore[attr-defined]


def transcriptionists() -> Any:
    """Active users holding transcription.transcribe through a role group."""
    return get_user_model().objects.filter(
        Q(groups__permissions__codename="transcribe", groups__permissions__content_type__app_label="transcription"),
        is_active=True,
    ).distinct().order_by("username")


class AssignForm(forms.Form):
    assignee: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="Transcriptionist", queryset=None, empty_label="Choose…")
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = transcriptionists()  # type: ignore[attr-defined]


class RevisionForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class EditorForm(forms.Form):
    text = forms.CharField(label="Transcript", widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
                           strip=False)
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    keep_flagged = forms.BooleanField(label="Keep the flagged abbreviations for the author", required=False)


class PersonalAbbreviationForm(forms.Form):
    abbreviation = forms.CharField(label="Abbreviation", max_length=20)
    expansion = forms.CharField(label="Expands to", max_length=200)


class DocumentTemplateForm(forms.Form):
    document_type = forms.ChoiceField(label="Document type", choices=DictationType.choices)
    name = forms.CharField(label="Name", max_length=100)
    text = forms.CharField(label="Text", strip=False, widget=forms.Textarea(attrs={"rows": 20}),
                           help_text="Headings, and ___ where the dictation fills in.")
    active = forms.BooleanField(label="Offered in the editor", required=False, initial=True)


class PersonalWordForm(forms.Form):
    word = forms.CharField(label="Word", max_length=60)


class SpellingForm(forms.Form):
    text = forms.CharField(strip=False, required=False, max_length=500_000)


class QAReviewForm(forms.Form):
    """One count per error category (quality.ERROR_CATEGORIES) and the feedback."""

    feedback = forms.CharField(label="Feedback for the transcriptionist", required=False,
                               widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from chartdesk.transcription.quality import ERROR_CATEGORIES

        super().__init__(*args, **kwargs)
        for category in ERROR_CATEGORIES:
            self.fields[f"errors_{category.slug}"] = forms.IntegerField(
                label=f"{category.label} (weight {category.weight:g})", min_value=0, max_value=999, initial=0,
                required=False)
        self.order_fields([name for name in self.fields if name != "feedback"] + ["feedback"])

    def error_counts(self) -> dict[str, int]:
        return {name.removeprefix("errors_"): value or 0 for name, value in self.cleaned_data.items()
                if name.startswith("errors_")}
