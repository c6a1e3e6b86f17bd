"""Forms at the edge of accounts: each error names its field and nothing is saved until all pass."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError

from chartdesk.accounts.actions import NPI_INVALID, USERNAME_TAKEN
from chartdesk.accounts.roles import ROLES, SANDBOX_ONLY_ROLES
from chartdesk.core.npi import npi_is_valid


def role_choices() -> list[tuple[str, str]]:
    return [(role.slug, role.label) for role in ROLES if role.slug not in SANDBOX_ONLY_ROLES]


class LoginForm(forms.Form):
    username = forms.CharField(label="User name", max_length=150, strip=True)
    password = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.fields["username"].error_messages["required"] = "Enter your user name."
        self.fields["password"].error_messages["required"] = "Enter your password."


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label="Six-digit code from your authenticator app",
        min_length=6,
        max_length=6,
        error_messages={
            "required": "Enter the six-digit code your authenticator app shows.",
            "min_length": "The code has six digits.",
            "max_length": "The code has six digits.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "pattern": "[0-9]{6}"}
        )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not code.isdecimal():
            raise ValidationError("The code is six digits, 0 to 9.")
        return code


class UserCreateForm(forms.Form):
    username = forms.CharField(label="User name", max_length=150)
    full_name = forms.CharField(label="Full name", max_length=150, required=False)
    email = forms.EmailField(label="Email", required=False)
    role = forms.ChoiceField(label="Role", choices=role_choices)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=" ".join(password_validation.password_validators_help_texts()),
    )
    password2 = forms.CharField(
        label="Password again", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    npi = forms.CharField(label="NPI", max_length=10, required=False, help_text="Required for providers.")
    credentials = forms.CharField(label="Credentials", max_length=20, required=False, help_text="MD, DO, NP, PA…")
    specialty = forms.CharField(label="Specialty", max_length=80, required=False)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        UnicodeUsernameValidator()(username)
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise ValidationError(USERNAME_TAKEN.format(username=username))
        return username

    def clean_npi(self) -> str:
        npi = self.cleaned_data["npi"].strip()
        if npi and not npi_is_valid(npi):
            raise ValidationError(NPI_INVALID.format(npi=npi))
        return npi

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            User = get_user_model()
            candidate = User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(first, candidate)
            except ValidationError as problems:
                self.add_error("password1", problems)
        if cleaned.get("role") == "provider" and not cleaned.get("npi") and "npi" not in self.errors:
            self.add_error("npi", "A provider needs an NPI (10 digits).")
        if cleaned.get("role") != "provider" and cleaned.get("npi"):
            self.add_error("npi", "Only providers have an NPI here; clear it or choose the provider role.")
        return cleaned


class RoleChangeForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=role_choices)


class RoleMfaForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=role_choices)
    mfa_required = forms.BooleanField(label="Require multi-factor authentication", required=False)
