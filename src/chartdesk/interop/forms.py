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
