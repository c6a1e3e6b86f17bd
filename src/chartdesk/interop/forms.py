"""The desk form administrators register API clients with."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from chartdesk.interop.models import Scope
from chartdesk.patients.models import Patient


class ApiClientForm(forms.Form):
    name = forms.CharField(label="Name of the program", max_length=120)
    acts_as = forms.ModelChoiceField(
        label="Acts as user", queryset=get_user_model().objects.none(),
        help_text="The client reads what this user's role may read, and no more.")
    scopes = forms.MultipleChoiceField(label="Scopes", choices=Scope.choices, widget=forms.CheckboxSelectMultiple)
    patient_mrn = forms.CharField(label="Patient MRN (patient/*.read only)", max_length=12, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["acts_as"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")  # type: ignore[attr-defined]

    def clean_patient_mrn(self) -> Patient | None:
        mrn = self.cleaned_data["patient_mrn"].strip()
        if not mrn:
            return None
        # Resolving the MRN the administrator typed is not a chart read: nothing of the chart is shown.
        patient = Patient.objects.filter(mrn=mrn).first()
        if patient is None:
            raise forms.ValidationError("No patient has this MRN.")
        return patient


class Hl7QueueFilterForm(forms.Form):
    event = forms.CharField(label="Event type", max_length=20, required=False, help_text="A01, or ADT^A01")
    facility = forms.CharField(label="Sending facility", max_length=60, required=False)
    error_field = forms.CharField(label="Error field", max_length=20, required=False, help_text="PID, PID-5 or PID^1^5")
    received_from = forms.DateField(label="Received from", required=False, help_text="2026-03-01")
    received_to = forms.DateField(label="Received to", required=False, help_text="That whole day included")

    def clean_error_field(self) -> str:
        from chartdesk.core.errors import ChartdeskError
        from chartdesk.interop.hl7v2.queue import error_field_filter

        text: str = self.cleaned_data["error_field"].strip()
        if text:
            try:
                error_field_filter(text)
            except ChartdeskError as refusal:
                raise forms.ValidationError(refusal.message) from None
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("received_from"), cleaned.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", "“Received to” is before “Received from”.")
        return cleaned


class Hl7ReprocessForm(forms.Form):
    text = forms.CharField(label="Message text", widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
                           required=False, strip=False,
                           help_text="Edit to correct the message; the edit is kept as a new revision and the "
                                     "message as received stays as it was. One segment a line.")


class Hl7IgnoreForm(forms.Form):
    reason = forms.CharField(label="Reason for ignoring", max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))
