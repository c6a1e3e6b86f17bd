"""Desk forms of the coding area: the encoder box and the edit check."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from chartdesk.coding.models import CodeSystem

SEARCHABLE = [(CodeSystem.ICD10CM.value, "ICD-10-CM"), (CodeSystem.ICD10PCS.value, "ICD-10-PCS"),
              (CodeSystem.HCPCS.value, "HCPCS"), (CodeSystem.CPT.value, "CPT")]
SPLIT = re.compile(r"[\s,;]+")


class EncoderForm(forms.Form):
    q = forms.CharField(label="Diagnosis or procedure", max_length=200, required=False)
    system = forms.ChoiceField(label="Code set", choices=SEARCHABLE, initial=CodeSystem.ICD10CM, required=False)


class CheckForm(forms.Form):
    codes = forms.CharField(label="Codes in sequence", max_length=400,
                            error_messages={"required": "Enter at least one code."},
                            help_text="Principal or first-listed first, separated by spaces or commas.")
    poa = forms.CharField(label="Present on admission", max_length=100, required=False,
                          help_text="Inpatient: one indicator per code, in the same order (Y, N, U, W; "
                                    "blank if exempt).")
    service_date = forms.DateField(label="Date of service", widget=forms.DateInput(attrs={"type": "date"}))
    inpatient = forms.BooleanField(label="Inpatient stay", required=False)
    sex = forms.ChoiceField(label="Sex", choices=[("", "Not given"), ("F", "Female"), ("M", "Male")], required=False)
    age = forms.IntegerField(label="Age in years", min_value=0, max_value=124, required=False)

    def clean_codes(self) -> list[str]:
        codes = [code for code in SPLIT.split(self.cleaned_data["codes"].strip()) if code]
        if not codes:
            raise forms.ValidationError("Enter at least one code.")
        if len(codes) > 25:
            raise forms.ValidationError("At most 25 diagnosis codes per encounter.")
        return codes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        poa = [mark.strip() for mark in cleaned.get("poa", "").split(",")] if cleaned.get("poa") else []
        if len(poa) > len(cleaned.get("codes") or []):
            self.add_error("poa", "More indicators than codes.")
        cleaned["poa_list"] = poa
        return cleaned
