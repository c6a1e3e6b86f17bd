"""Desk forms of billing: labelled fields; the actions do the real validation and name the field."""

from __future__ import annotations

from django import forms

from chartdesk.billing.models import (
    ClaimFilingIndicator,
    ClaimFrequency,
    CoverageRank,
    DenialAction,
    Payer,
    PlaceOfService,
    SubscriberRelationship,
)
from chartdesk.charts.models import Provider


class OrganisationForm(forms.Form):
    name = forms.CharField(max_length=60)
    npi = forms.CharField(label="Billing NPI", max_length=10)
    tax_id = forms.CharField(label="Tax ID (EIN, 9 digits)", max_length=10)
    taxonomy = forms.CharField(label="Taxonomy code", max_length=10)
    address_line = forms.CharField(label="Street address", max_length=55)
    city = forms.CharField(max_length=30)
    state = forms.CharField(max_length=2)
    zip_code = forms.CharField(label="ZIP+4", max_length=10)
    phone = forms.CharField(max_length=14)
    contact_name = forms.CharField(max_length=60)
    submitter_id = forms.CharField(label="Submitter ID (ETIN)", max_length=15)
    receiver_id = forms.CharField(label="Receiver ID", max_length=15)
    receiver_name = forms.CharField(label="Receiver name", max_length=60)
    production = forms.BooleanField(label="Production (ISA15 P)", required=False)


class PayerForm(forms.Form):
    name = forms.CharField(max_length=60)
    payer_id = forms.CharField(label="Payer ID", max_length=20)
    claim_filing_indicator = forms.ChoiceField(choices=ClaimFilingIndicator.choices)
    timely_filing_days = forms.IntegerField(label="Timely-filing limit (days)", min_value=1, max_value=3650,
                                            initial=365)


class FeeForm(forms.Form):
    code = forms.CharField(label="CPT/HCPCS code", max_length=5)
    modifier = forms.CharField(max_length=2, required=False)
    charge = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0)


class CoverageForm(forms.Form):
    payer = forms.ModelChoiceField(queryset=Payer.objects.filter(active=True))
    rank = forms.ChoiceField(choices=CoverageRank.choices)
    member_id = forms.CharField(label="Member ID", max_length=30)
    group_number = forms.CharField(max_length=30, required=False)
    relationship = forms.ChoiceField(label="Patient's relationship to subscriber",
                                     choices=SubscriberRelationship.choices)
    subscriber_given_name = forms.CharField(label="Subscriber given name", max_length=35, required=False)
    subscriber_family_name = forms.CharField(label="Subscriber family name", max_length=60, required=False)
    subscriber_birth_date = forms.DateField(label="Subscriber date of birth", required=False,
                                            widget=forms.DateInput(attrs={"type": "date"}))
    subscriber_sex = forms.ChoiceField(label="Subscriber sex", required=False,
                                       choices=[("", "—"), ("F", "Female"), ("M", "Male"), ("U", "Unknown")])


class ProviderChoiceField(forms.ModelChoiceField):
    """Providers by name and NPI: two records under one name (one with a mistyped NPI) must be told apart."""

    def label_from_instance(self, obj: Provider) -> str:  # type: ignore[override]
        return f"{obj} · NPI {obj.npi or 'none'}"


class ChargeForm(forms.Form):
    code = forms.CharField(label="CPT/HCPCS code", max_length=5)
    modifiers = forms.CharField(label="Modifiers (up to 4, space separated)", max_length=20, required=False)
    units = forms.DecimalField(max_digits=7, decimal_places=2, initial=1)
    amount = forms.DecimalField(label="Charge (blank: fee schedule)", max_digits=10, decimal_places=2,
                                required=False)
    pointers = forms.CharField(label="Diagnosis pointers (e.g. 1 2)", max_length=20, initial="1")
    service_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    rendering_provider = ProviderChoiceField(queryset=Provider.objects.filter(active=True))
    place_of_service = forms.ModelChoiceField(queryset=PlaceOfService.objects.all(), initial="11")

    def clean_pointers(self) -> tuple[int, ...]:
        raw = self.cleaned_data["pointers"].replace(",", " ").split()
        if not raw or not all(part.isdecimal() for part in raw):
            raise forms.ValidationError("Give 1 to 4 diagnosis numbers, like 1 2.")
        return tuple(int(part) for part in raw)


class CoverageCorrectionForm(forms.Form):
    payer = forms.ModelChoiceField(queryset=Payer.objects.filter(active=True).order_by("name", "payer_id"))
    member_id = forms.CharField(label="Member ID", max_length=30)
    group_number = forms.CharField(max_length=30, required=False)


class DiagnosesForm(forms.Form):
    codes = forms.CharField(label="ICD-10-CM codes, principal first (space separated)", max_length=200)


class RemittanceUploadForm(forms.Form):
    file = forms.FileField(label="835 file")


class DenialActionForm(forms.Form):
    action = forms.ChoiceField(label="What was done", choices=DenialAction.choices, widget=forms.RadioSelect,
                               error_messages={"required": "Choose what was done about the denial."})
    note = forms.CharField(label="Note (for an appeal: the argument the letter makes)",
                           widget=forms.Textarea(attrs={"rows": 5}), max_length=2000,
                           error_messages={"required": "Say what was done and why."})


class ClaimCorrectionForm(forms.Form):
    frequency = forms.ChoiceField(label="Send as", choices=[
        (ClaimFrequency.REPLACEMENT, "Corrected claim: replaces the payer's claim (frequency 7)"),
        (ClaimFrequency.VOID, "Void: cancels the payer's claim (frequency 8)")], widget=forms.RadioSelect,
        error_messages={"required": "Choose a corrected claim or a void."})
    reason = forms.CharField(label="What is corrected, and why", max_length=300,
                             error_messages={"required": "Say what is corrected and why."})


class FilingLimitForm(forms.Form):
    payer = forms.ModelChoiceField(queryset=Payer.objects.order_by("name"), empty_label=None)
    days = forms.IntegerField(label="Limit in days from the date of service", min_value=1, max_value=3650)
    effective_from = forms.DateField(label="For services from", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="Source (contract, manual)", max_length=200, required=False)


class RejectionResendForm(forms.Form):
    reason = forms.CharField(label="What was fixed", max_length=300,
                             error_messages={"required": "Say what was fixed for the payer's reason."})


class HeldPaymentForm(forms.Form):
    decision = forms.ChoiceField(label="Decision", choices=[("post", "Post it as the payer sent it"),
                                                            ("reject", "Reject it: do not post")],
                                 widget=forms.RadioSelect,
                                 error_messages={"required": "Choose whether to post or reject the payment."})
    note = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                           error_messages={"required": "Say why: what the payer said, or why the payment is "
                                                       "right or wrong."})


class PatientPaymentForm(forms.Form):
    claim = forms.CharField(label="Claim number", max_length=20)
    amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0)
