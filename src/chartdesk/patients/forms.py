"""Forms at the edge of the patient index. Each error names its field; nothing is saved until all
pass. The validators are the same ones the actions apply (patients.validation)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone

from chartdesk.patients.models import AddressUse, IdentifierType, NameUse, Patient, PhoneUse, Restriction, Sex
from chartdesk.patients.schemas import AddressInput, IdentifierInput, NameInput, PatientRegistration
from chartdesk.patients.validation import (
    InvalidField,
    clean_birth_date,
    clean_mbi,
    clean_required_name,
    clean_ssn,
    clean_state,
    clean_us_phone,
    clean_zip,
    refuse_control_characters,
)

DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y"]
HAND_ENTERED_IDENTIFIERS = [(value, label) for value, label in IdentifierType.choices
                            if value != IdentifierType.RETIRED_MRN]


def _run(clean: Callable[..., Any], *args: Any) -> Any:
    try:
        return clean(*args)
    except InvalidField as invalid:
        raise ValidationError(invalid.message) from None


def _date_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label, required=required, input_formats=DATE_FORMATS, help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": f"{label}: required.",
                        "invalid": f"{label}: enter a date as MM/DD/YYYY or YYYY-MM-DD."},
    )


class NameField(forms.CharField):
    """A part of a person's name, held to the patients layer's rule on control characters (the one every
    intake path applies) with the message naming the field; that rule covers NUL, so Django's own
    null-character check, whose message names no field, is left out."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [check for check in self.validators
                           if not isinstance(check, ProhibitNullCharactersValidator)]

    def validate(self, value: Any) -> None:
        super().validate(value)
        _run(refuse_control_characters, value, "", str(self.label))


def add_action_errors(form: forms.Form, errors: dict[str, str]) -> None:
    """Put an action's field errors on the form: on the field when the form has it, else on top."""
    for field, message in errors.items():
        form.add_error(field if field in form.fields else None, message)


class SearchForm(forms.Form):
    q = forms.CharField(label="Find a patient", max_length=200, required=False)


class DemographicsFields(forms.Form):
    # Not "prefix": Django forms use that attribute for their HTML name prefix.
    name_prefix = NameField(label="Prefix", max_length=20, required=False)
    given_name = NameField(label="Given name", max_length=80,
                                 error_messages={"required": "Given name: required."})
    middle_name = NameField(label="Middle name", max_length=80, required=False)
    family_name = NameField(label="Family name", max_length=80,
                                  error_messages={"required": "Family name: required."})
    suffix = NameField(label="Suffix", max_length=20, required=False)
    preferred_name = NameField(label="Preferred name", max_length=80, required=False)
    birth_date = _date_field("Date of birth")
    sex = forms.ChoiceField(label="Sex", choices=[("", "Choose…"), *Sex.choices],
                            error_messages={"required": "Sex: choose one.", "invalid_choice": "Sex: choose one."})
    gender_identity = forms.CharField(label="Gender identity", max_length=60, required=False)
    preferred_language = forms.CharField(label="Preferred language", max_length=40, required=False,
                                         initial="English")
    email = forms.EmailField(label="Email", required=False,
                             error_messages={"invalid": "Email: not an email address."})
    ssn = forms.CharField(label="SSN", max_length=11, required=False, help_text="Nine digits, as 123-45-6789.")

    def clean_given_name(self) -> str:
        return str(_run(clean_required_name, self.cleaned_data["given_name"], "given_name", "Given name"))

    def clean_family_name(self) -> str:
        return str(_run(clean_required_name, self.cleaned_data["family_name"], "family_name", "Family name"))

    def clean_birth_date(self) -> Any:
        return _run(clean_birth_date, self.cleaned_data["birth_date"])

    def clean_ssn(self) -> str:
        value = self.cleaned_data["ssn"].strip()
        return str(_run(clean_ssn, value)) if value else ""


class RegistrationForm(DemographicsFields):
    mobile_phone = forms.CharField(label="Mobile phone", max_length=20, required=False)
    home_phone = forms.CharField(label="Home phone", max_length=20, required=False)
    address_line1 = forms.CharField(label="Address", max_length=120, required=False)
    address_line2 = forms.CharField(label="Address line 2", max_length=120, required=False)
    city = forms.CharField(label="City", max_length=80, required=False)
    state = forms.CharField(label="State", max_length=2, required=False)
    postal_code = forms.CharField(label="ZIP code", max_length=10, required=False)
    identifier_type = forms.ChoiceField(label="Identifier type", required=False,
                                        choices=[("", "None"), *HAND_ENTERED_IDENTIFIERS])
    identifier_issuer = forms.CharField(label="Issued by", max_length=80, required=False,
                                        help_text="Facility, payer or state, as CMS or Aetna.")
    identifier_value = forms.CharField(label="Identifier", max_length=40, required=False)
    confirm_no_match = forms.BooleanField(label="None of these is the patient: register a new patient",
                                          required=False)
    shown_matches = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_mobile_phone(self) -> str:
        value = self.cleaned_data["mobile_phone"].strip()
        return str(_run(clean_us_phone, value, "mobile_phone")) if value else ""

    def clean_home_phone(self) -> str:
        value = self.cleaned_data["home_phone"].strip()
        return str(_run(clean_us_phone, value, "home_phone")) if value else ""

    def clean_state(self) -> str:
        value = self.cleaned_data["state"].strip()
        return str(_run(clean_state, value)) if value else ""

    def clean_postal_code(self) -> str:
        value = self.cleaned_data["postal_code"].strip()
        return str(_run(clean_zip, value)) if value else ""

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        address = ("address_line1", "city", "state", "postal_code")
        if any(data.get(name) for name in address) and not self.errors.keys() & set(address):
            for name in address:
                if not data.get(name):
                    self.add_error(name, f"{self.fields[name].label}: required when an address is given.")
        identifier = ("identifier_type", "identifier_issuer", "identifier_value")
        if any(data.get(name) for name in identifier):
            for name in identifier:
                if not data.get(name):
                    self.add_error(name, f"{self.fields[name].label}: required when an identifier is given.")
            if data.get("identifier_type") == IdentifierType.MEDICARE_MBI and data.get("identifier_value"):
                try:
                    data["identifier_value"] = clean_mbi(data["identifier_value"], "identifier_value")
                except InvalidField as invalid:
                    self.add_error("identifier_value", invalid.message)
        return data

    def registration(self) -> PatientRegistration:
        data = self.cleaned_data
        phones = tuple((use, data[f"{use}_phone"]) for use in ("mobile", "home") if data[f"{use}_phone"])
        addresses: tuple[AddressInput, ...] = ()
        if data["address_line1"]:
            addresses = (AddressInput(line1=data["address_line1"], line2=data["address_line2"], city=data["city"],
                                      state=data["state"], postal_code=data["postal_code"]),)
        identifiers: tuple[IdentifierInput, ...] = ()
        if data["identifier_type"]:
            identifiers = (IdentifierInput(type=data["identifier_type"], issuer=data["identifier_issuer"],
                                           value=data["identifier_value"]),)
        return PatientRegistration(
            given_name=data["given_name"], family_name=data["family_name"], middle_name=data["middle_name"],
            prefix=data["name_prefix"], suffix=data["suffix"], preferred_name=data["preferred_name"],
            birth_date=data["birth_date"], sex=data["sex"], gender_identity=data["gender_identity"],
            preferred_language=data["preferred_language"] or "English", email=data["email"], ssn=data["ssn"],
            phones=phones, addresses=addresses, identifiers=identifiers,
        )


class DemographicsForm(DemographicsFields):
    deceased_on = _date_field("Date of death", required=False, help_text="Leave empty while the patient lives.")
    revision = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ssn"].help_text = "Leave empty to keep the SSN on file; enter nine digits to replace it."

    @classmethod
    def for_patient(cls, patient: Patient) -> DemographicsForm:
        initial = {name: getattr(patient, name) for name in cls.base_fields if hasattr(patient, name)}
        initial["name_prefix"] = patient.prefix
        initial["ssn"] = ""
        initial["revision"] = patient.revision
        if patient.deceased_at:
            initial["deceased_on"] = timezone.localtime(patient.deceased_at).date()
        return cls(initial=initial)

    def changes(self, patient: Patient) -> dict[str, Any]:
        data = self.cleaned_data
        changes = {name: data[name] for name in DemographicsFields.base_fields if name not in ("ssn", "name_prefix")}
        changes["prefix"] = data["name_prefix"]
        changes["preferred_language"] = changes["preferred_language"] or "English"
        if data["ssn"]:
            changes["ssn"] = data["ssn"]
        died = data["deceased_on"]
        was = timezone.localtime(patient.deceased_at).date() if patient.deceased_at else None
        if died != was:
            # A date is what the desk knows; noon keeps it on the same day in every time zone.
            changes["deceased_at"] = timezone.make_aware(datetime.combine(died, time(12))) if died else None
        return changes


class IdentifierForm(forms.Form):
    type = forms.ChoiceField(label="Identifier type", choices=HAND_ENTERED_IDENTIFIERS)
    issuer = forms.CharField(label="Issued by", max_length=80,
                             error_messages={"required": "Issued by: say who assigned it."})
    value = forms.CharField(label="Identifier", max_length=40, error_messages={"required": "Identifier: required."})

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("type") == IdentifierType.MEDICARE_MBI and data.get("value"):
            try:
                data["value"] = clean_mbi(data["value"], "value")
            except InvalidField as invalid:
                self.add_error("value", invalid.message)
        return data

    def identifier(self) -> IdentifierInput:
        return IdentifierInput(type=self.cleaned_data["type"], issuer=self.cleaned_data["issuer"],
                               value=self.cleaned_data["value"])


class OtherNameForm(forms.Form):
    use = forms.ChoiceField(label="Kind of name", choices=[c for c in NameUse.choices if c[0] != NameUse.OFFICIAL])
    family_name = NameField(label="Family name", max_length=80,
                                  error_messages={"required": "Family name: required."})
    given_name = NameField(label="Given name", max_length=80, required=False)
    middle_name = NameField(label="Middle name", max_length=80, required=False)

    def name(self) -> NameInput:
        data = self.cleaned_data
        return NameInput(family_name=data["family_name"], given_name=data["given_name"],
                         middle_name=data["middle_name"], use=data["use"])


class AddressForm(forms.Form):
    use = forms.ChoiceField(label="Kind of address", choices=[c for c in AddressUse.choices if c[0] != "old"])
    line1 = forms.CharField(label="Address", max_length=120, error_messages={"required": "Address: required."})
    line2 = forms.CharField(label="Address line 2", max_length=120, required=False)
    city = forms.CharField(label="City", max_length=80, error_messages={"required": "City: required."})
    state = forms.CharField(label="State", max_length=2, error_messages={"required": "State: required."})
    postal_code = forms.CharField(label="ZIP code", max_length=10, error_messages={"required": "ZIP code: required."})

    def clean_state(self) -> str:
        return str(_run(clean_state, self.cleaned_data["state"]))

    def clean_postal_code(self) -> str:
        return str(_run(clean_zip, self.cleaned_data["postal_code"]))

    def address(self) -> AddressInput:
        data = self.cleaned_data
        return AddressInput(line1=data["line1"], line2=data["line2"], city=data["city"], state=data["state"],
                            postal_code=data["postal_code"], use=data["use"])


class PhoneForm(forms.Form):
    use = forms.ChoiceField(label="Kind of phone", choices=PhoneUse.choices)
    number = forms.CharField(label="Phone number", max_length=20, error_messages={"required": "Phone: required."})

    def clean_number(self) -> str:
        return str(_run(clean_us_phone, self.cleaned_data["number"]))


class RestrictionForm(forms.Form):
    restriction = forms.ChoiceField(label="Restriction", choices=Restriction.choices, required=False)
    note = forms.CharField(label="Note", max_length=200, required=False,
                           help_text="Why the chart is restricted; shown to those who manage access.")


class GrantForm(forms.Form):
    username = forms.CharField(label="User name", max_length=150,
                               error_messages={"required": "User name: whom to grant access."})
    reason = forms.CharField(label="Reason", max_length=200,
                             error_messages={"required": "Reason: say why this user needs the chart."})

    def clean_username(self) -> Any:
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise ValidationError(f"User name: no active user is called {username!r}.")
        return user


class RevokeForm(forms.Form):
    grant = forms.IntegerField(widget=forms.HiddenInput)


class BreakTheGlassForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need this chart now?", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your reason, your name and the time go to the privacy officer's audit report.",
        error_messages={"required": "Reason: required to break the glass."},
    )


class MergeForm(forms.Form):
    """Confirm a merge after the side-by-side comparison; the revisions catch a change since."""

    reason = forms.CharField(
        label="Reason for the merge", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example the duplicate-review case number and what confirmed it is one person.",
        error_messages={"required": "Reason: say why these two records are the same person."},
    )
    confirm = forms.BooleanField(
        label="I compared both records: they are the same person, and the duplicate's records move to the survivor.",
        error_messages={"required": "Confirm: tick the box to say you compared both records."},
    )
    survivor_revision = forms.IntegerField(widget=forms.HiddenInput)
    retired_revision = forms.IntegerField(widget=forms.HiddenInput)


class UnmergeForm(forms.Form):
    reason = forms.CharField(
        label="Reason for undoing the merge", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: two different people (an overlay), found by the care team.",
        error_messages={"required": "Reason: say why this merge is undone."},
    )


class DuplicateMergeForm(forms.Form):
    """Merge a pair from the duplicate work list: which chart survives, and why."""

    survivor = forms.TypedChoiceField(label="Keep (survivor)", coerce=int, widget=forms.RadioSelect,
                                      error_messages={"required": "Keep: choose the chart that survives."})
    reason = forms.CharField(
        label="Reason for the merge", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Reason: say why these two records are the same person."},
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = choices  # type: ignore[attr-defined]


class NotDuplicateForm(forms.Form):
    note = forms.CharField(
        label="Why they are two people", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Note: say why (what was checked)."},
    )


class NeedsResearchForm(forms.Form):
    assigned_to = forms.TypedChoiceField(label="Assign to", coerce=int,
                                         error_messages={"required": "Assign to: choose who researches it."})
    note = forms.CharField(
        label="What to find out", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Note: say what to find out."},
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", "Choose…"), *choices]  # type: ignore[attr-defined]
