"""Desk forms of the legal record: types and shapes at the edge; the rules live in the actions.

Field names match the `field` of the actions' ChartdeskError, so a refusal lands beside the input
that caused it.
"""

from __future__ import annotations

from typing import Any

from django import forms

from chartdesk.charts.models import (
    CareRole,
    DischargeDisposition,
    DocumentStatus,
    DocumentType,
    Encounter,
    EncounterClass,
    Provider,
)
from chartdesk.patients.models import Patient

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _blank(label: str, choices: Any) -> list[tuple[str, str]]:
    return [("", label), *choices]


class ProviderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj}" + (f" · {obj.specialty}" if obj.specialty else "")


def active_providers() -> Any:
    return Provider.objects.filter(active=True).order_by("family_name", "given_name")


class EncounterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.admit_at:%Y-%m-%d} · {obj.get_encounter_class_display()} · {obj.account_number}"


def encounters_of(patient: Patient) -> Any:
    return Encounter.objects.filter(patient=patient).order_by("-admit_at")


class EncounterForm(forms.Form):
    encounter_class = forms.ChoiceField(label="Class", choices=_blank("Choose…", EncounterClass.choices))
    admit_at = forms.DateTimeField(label="Admitted / arrived", widget=DATETIME_WIDGET)
    attending = ProviderChoiceField(
        label="Attending provider", queryset=Provider.objects.none(), required=False, empty_label="None yet"
    )
    service = forms.CharField(label="Service", max_length=80, required=False, help_text="Medicine, surgery…")
    location = forms.CharField(label="Location", max_length=80, required=False, help_text="Unit, room or clinic")
    reason = forms.CharField(label="Reason for the visit", max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attending"].queryset = active_providers()  # type: ignore[attr-defined]


class DischargeForm(forms.Form):
    discharge_at = forms.DateTimeField(label="Discharged", widget=DATETIME_WIDGET)
    disposition = forms.ChoiceField(
        label="Discharge disposition", choices=_blank("Choose…", DischargeDisposition.choices)
    )


class CareTeamForm(forms.Form):
    provider = ProviderChoiceField(label="Provider", queryset=Provider.objects.none(), empty_label="Choose…")
    role = forms.ChoiceField(label="Role", choices=_blank("Choose…", CareRole.choices))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = active_providers()  # type: ignore[attr-defined]


class _DocumentFields(forms.Form):
    document_type = forms.ChoiceField(label="Document type", choices=_blank("Choose…", DocumentType.choices))
    title = forms.CharField(label="Title", max_length=200)
    service_date = forms.DateField(label="Service date", widget=DATE_WIDGET)
    encounter = EncounterChoiceField(
        label="Encounter", queryset=Encounter.objects.none(), required=False, empty_label="None (filed on the patient)"
    )
    author = ProviderChoiceField(
        label="Author", queryset=Provider.objects.none(), required=False, empty_label="Not stated"
    )

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["encounter"].queryset = encounters_of(patient)  # type: ignore[attr-defined]
        self.fields["author"].queryset = active_providers()  # type: ignore[attr-defined]


class NoteForm(_DocumentFields):
    text = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 18}), strip=False)

    field_order = ["document_type", "title", "service_date", "encounter", "author", "text"]


class UploadForm(_DocumentFields):
    upload = forms.FileField(
        label="File", help_text="PDF, TIFF, PNG or JPEG. The content is checked, not the name.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.tif,.tiff,.png,.jpg,.jpeg"}),
    )

    field_order = ["upload", "document_type", "title", "service_date", "encounter", "author"]


class RevisionForm(forms.Form):
    """Every change to a document carries the revision it was read at (optimistic concurrency)."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DraftForm(RevisionForm):
    text = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 20}), strip=False)


class SignForm(RevisionForm):
    confirm = forms.BooleanField(
        label="I have reviewed this document and sign it electronically.",
        error_messages={"required": "Tick the box to confirm you are signing this document."},
    )
    attestation = forms.CharField(
        label="Additional attestation (optional)", max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CorrectionForm(RevisionForm):
    reason = forms.CharField(label="Reason for the correction", max_length=300)
    text = forms.CharField(
        label="Corrected text", widget=forms.Textarea(attrs={"rows": 20}), required=False, strip=False
    )
    upload = forms.FileField(
        label="Replacement file (optional)", required=False,
        help_text="PDF, TIFF, PNG or JPEG; replaces the file of the current version.",
    )
    sign = forms.BooleanField(label="Sign the corrected version now", required=False)


class AddendumForm(RevisionForm):
    text = forms.CharField(label="Addendum", widget=forms.Textarea(attrs={"rows": 8}))
    sign = forms.BooleanField(label="Sign the addendum now", required=False, initial=True)


class RetractForm(RevisionForm):
    reason = forms.CharField(
        label="Why is this document entered in error?", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: filed on the wrong patient. The document stays in the record, struck out.",
    )
    confirm = forms.BooleanField(
        label="Mark this document entered in error.",
        error_messages={"required": "Tick the box to confirm."},
    )


class DocumentFilterForm(forms.Form):
    document_type = forms.ChoiceField(label="Type", choices=_blank("All types", DocumentType.choices), required=False)
    encounter = EncounterChoiceField(
        label="Encounter", queryset=Encounter.objects.none(), required=False, empty_label="All encounters"
    )
    status = forms.ChoiceField(label="Status", choices=_blank("All statuses", DocumentStatus.choices), required=False)
    date_from = forms.DateField(label="From", required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label="To", required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, patient: Patient, show_retracted: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["encounter"].queryset = encounters_of(patient)  # type: ignore[attr-defined]
        if not show_retracted:
            status = self.fields["status"]
            status.choices = [  # type: ignore[attr-defined]
                choice for choice in status.choices  # type: ignore[attr-defined]
                if choice[0] != DocumentStatus.ENTERED_IN_ERROR
            ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "The end of the date range is before its start.")
        return cleaned
