"""Forms of the release-of-information desk: validation at the edge, messages that name the field."""

from __future__ import annotations

from typing import Any

from django import forms

from chartdesk.charts.models import DocumentType
from chartdesk.disclosures.models import (
    DeliveryFormat,
    DenialBasis,
    LegalBasis,
    Purpose,
    RequesterType,
    RestrictionKind,
    SensitiveCategory,
)

DATE = forms.DateInput(attrs={"type": "date"})


class RequestForm(forms.Form):
    patient_mrn = forms.CharField(label="Patient MRN", max_length=12)
    requester_type = forms.ChoiceField(label="Requester", choices=RequesterType.choices)
    requester_name = forms.CharField(label="Requester's name", max_length=160)
    requester_address = forms.CharField(label="Requester's address", required=False,
                                        widget=forms.Textarea(attrs={"rows": 2}))
    requester_email = forms.EmailField(label="Requester's e-mail", required=False)
    purpose = forms.ChoiceField(choices=Purpose.choices)
    purpose_detail = forms.CharField(label="Purpose in the requester's words", max_length=300, required=False)
    received_on = forms.DateField(label="Received on", widget=DATE)
    date_from = forms.DateField(label="Records from", required=False, widget=DATE)
    date_to = forms.DateField(label="Records to", required=False, widget=DATE)
    document_types = forms.MultipleChoiceField(label="Document types (none ticked: all)", required=False,
                                               choices=DocumentType.choices, widget=forms.CheckboxSelectMultiple)
    encounters = forms.CharField(label="Encounters (account numbers, comma-separated)", required=False,
                                 max_length=400)
    delivery_format = forms.ChoiceField(label="Format", choices=DeliveryFormat.choices)

    def account_numbers(self) -> list[str]:
        raw = self.cleaned_data.get("encounters") or ""
        return [number.strip() for number in raw.split(",") if number.strip()]


class AuthorizationForm(forms.Form):
    scanned_form = forms.FileField(label="Scanned form (PDF, TIFF, PNG or JPEG)", required=False)
    information_described = forms.CharField(label="Information to be disclosed", required=False,
                                            widget=forms.Textarea(attrs={"rows": 2}))
    sensitive_categories = forms.MultipleChoiceField(label="Sensitive categories it names", required=False,
                                                     choices=SensitiveCategory.choices,
                                                     widget=forms.CheckboxSelectMultiple)
    discloser = forms.CharField(label="Who may disclose", max_length=200, required=False)
    recipient = forms.CharField(label="To whom", max_length=200, required=False)
    purpose = forms.CharField(label="Purpose in the form's words", max_length=300, required=False)
    purposes = forms.MultipleChoiceField(label="Purposes it covers", required=False, choices=Purpose.choices,
                                         widget=forms.CheckboxSelectMultiple)
    document_types = forms.MultipleChoiceField(label="Record types it covers (none ticked: all)", required=False,
                                               choices=DocumentType.choices, widget=forms.CheckboxSelectMultiple)
    records_from = forms.DateField(label="Records from (blank: no limit)", required=False, widget=DATE)
    records_to = forms.DateField(label="Records to (blank: no limit)", required=False, widget=DATE)
    expires_on = forms.DateField(label="Expires on", required=False, widget=DATE)
    expiration_event = forms.CharField(label="Or expires at this event", max_length=200, required=False)
    signature_present = forms.BooleanField(label="Signed", required=False)
    signed_on = forms.DateField(label="Signed on", required=False, widget=DATE)
    signer_name = forms.CharField(label="Signed by", max_length=160, required=False)
    signed_by_representative = forms.BooleanField(label="Signed by a personal representative", required=False)
    representative_authority = forms.CharField(label="Representative's authority", max_length=200, required=False)
    states_right_to_revoke = forms.BooleanField(label="States the right to revoke", required=False)
    states_conditioning = forms.BooleanField(label="States whether treatment may be conditioned on signing",
                                             required=False)
    states_redisclosure = forms.BooleanField(label="States that the recipient may redisclose", required=False)


class NoteForm(forms.Form):
    """One free-text field: verify identity (method), deny (reason), extend (notice)."""

    text = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RedactionForm(forms.Form):
    document = forms.IntegerField(widget=forms.HiddenInput)
    phrase = forms.CharField(label="Phrase to remove", max_length=300, required=False)
    pages = forms.CharField(label="Pages to withhold (e.g. 2,4-5)", max_length=100, required=False)
    reason = forms.CharField(label="Reason", max_length=200)


class LabelForm(forms.Form):
    """The whole set of a document's sensitivity labels: none ticked means the document carries none."""

    document = forms.IntegerField(widget=forms.HiddenInput)
    categories = forms.MultipleChoiceField(label="Sensitivity", choices=SensitiveCategory.choices, required=False,
                                           widget=forms.CheckboxSelectMultiple)


class LinkForm(forms.Form):
    hours = forms.IntegerField(label="Link lasts (hours)", min_value=1, max_value=720, initial=72)


class AmendmentRequestForm(forms.Form):
    document = forms.TypedChoiceField(label="Document to amend", coerce=int)
    requested_change = forms.CharField(label="Change requested", widget=forms.Textarea(attrs={"rows": 3}))
    patient_reason = forms.CharField(label="Patient's reason", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    received_on = forms.DateField(label="Received on", widget=DATE)

    def __init__(self, *args: Any, documents: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["document"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(d.pk, f"{d.service_date:%Y-%m-%d} {d.title}") for d in documents]


class AcceptAmendmentForm(forms.Form):
    amendment_text = forms.CharField(label="Amendment to append", widget=forms.Textarea(attrs={"rows": 3}))
    notify = forms.CharField(label="Parties to notify, one a line as 'name; method'", required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def parties(self) -> list[tuple[str, str]]:
        parties = []
        for line in (self.cleaned_data.get("notify") or "").splitlines():
            name, _, method = line.partition(";")
            if name.strip():
                parties.append((name.strip(), method.strip() or "letter"))
        return parties


class DenyAmendmentForm(forms.Form):
    basis = forms.ChoiceField(label="Ground for denial", choices=DenialBasis.choices)
    explanation = forms.CharField(label="Explanation for the patient", widget=forms.Textarea(attrs={"rows": 3}))


class RestrictionForm(forms.Form):
    kind = forms.ChoiceField(choices=RestrictionKind.choices)
    encounter = forms.CharField(label="Encounter account number (self-pay)", max_length=20, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    alternative_contact = forms.CharField(label="Alternative address or phone", required=False, max_length=300)
    paid_in_full = forms.BooleanField(label="Paid in full out of pocket", required=False)


class SuspensionForm(forms.Form):
    agency_name = forms.CharField(label="Agency", max_length=200)
    agency_official = forms.CharField(label="Official", max_length=160, required=False)
    statement_in_writing = forms.BooleanField(label="Statement in writing", required=False)
    starts_on = forms.DateField(label="From", widget=DATE)
    ends_on = forms.DateField(label="Until", widget=DATE)
    reason = forms.CharField(max_length=300)


class DisclosureForm(forms.Form):
    recipient_name = forms.CharField(label="Recipient", max_length=200)
    recipient_address = forms.CharField(label="Recipient's address (if known)", required=False, max_length=500,
                                        widget=forms.Textarea(attrs={"rows": 2}))
    description = forms.CharField(label="What was disclosed", max_length=2000)
    purpose = forms.CharField(max_length=300)
    legal_basis = forms.ChoiceField(label="Legal basis", choices=LegalBasis.choices)
    disclosed_on = forms.DateField(label="Disclosed on", widget=DATE)


class DeidExportForm(forms.Form):
    patients = forms.CharField(label="Patient MRNs (comma or line separated)", widget=forms.Textarea(attrs={"rows": 3}))
    date_mode = forms.ChoiceField(label="Dates", choices=[("year", "Reduce to the year"),
                                                          ("shift", "Shift consistently per patient")])
