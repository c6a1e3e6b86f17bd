"""The desk pages of the patient index. Thin: forms validate, actions write, access functions read."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import ChartdeskError, ConcurrentChange, NotFound
from chartdesk.core.listing import Column, list_page
from chartdesk.core.permissions import requires
from chartdesk.core.views import not_found
from chartdesk.patients import actions
from chartdesk.patients.access import (
    access_chart_grants_by_patient,
    access_incomplete_patients,
    access_patient_for_break_the_glass,
    restriction_allows,
)
from chartdesk.patients.forms import (
    AddressForm,
    BreakTheGlassForm,
    DemographicsForm,
    GrantForm,
    IdentifierForm,
    OtherNameForm,
    PhoneForm,
    RegistrationForm,
    RestrictionForm,
    RevokeForm,
    add_action_errors,
)
from chartdesk.patients.linkage_match import match_fingerprint, match_record
from chartdesk.patients.models import ChartAccessGrant, Patient
from chartdesk.patients.search import search_patients
from chartdesk.patients.validation import InvalidField, InvalidPatientData
from chartdesk.patients.view_guards import chart_url, opens_patient


def _field_errors(form: Any, refusal: ChartdeskError) -> None:
    if isinstance(refusal, InvalidPatientData):
        add_action_errors(form, refusal.errors)
    else:
        add_action_errors(form, {refusal.field or "__all__": refusal.message})


# --- search ------------------------------------------------------------------------------------

# A search ranks every candidate; the desk pages through the likeliest SEARCH_LIMIT of them (a
# name as common as "smith" matches thousands, and nobody reads past a few pages: they add a date
# of birth instead). Sorting by name, birth date or MRN reorders those, it does not search again.
SEARCH_LIMIT = 200
SEARCH_COLUMNS = (
    Column("match", "Best match", ("-score",)),
    Column("name", "Name", ("patient__family_name", "patient__given_name")),
    Column("born", "Date of birth", ("patient__birth_date",)),
    Column("mrn", "MRN", ("patient__mrn",)),
)


@requires("patients.search_patients")
def search_view(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    hits = search_patients(request.user, query, limit=SEARCH_LIMIT) if query.strip() else []
    listing = list_page(request, hits, SEARCH_COLUMNS, default_sort="match", tie_breaker="patient__pk")
    context = {"query": query, "listing": listing, "searched": bool(query.strip())}
    template = "patients/_results.html" if request.htmx else "patients/search.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@requires("patients.edit_patient")
def incomplete_view(request: HttpRequest) -> HttpResponse:
    """Records loaded from a legacy index without a given name or date of birth, to complete."""
    patients, total = access_incomplete_patients(request.user)
    return render(request, "patients/incomplete.html", {"patients": patients, "total": total})


# --- registration ------------------------------------------------------------------------------

def _record_match_check(request: HttpRequest, candidates: list[Any]) -> None:
    # The registrar is shown other patients' names and dates of birth: that is a look into the
    # index and is audited like a search (without what was typed: it may hold an SSN).
    record_event(AuditAction.SEARCH, user=request.user, object_type="registration_match_check",
                 detail={"shown": [candidate.patient.mrn for candidate in candidates]})


@requires("patients.register_patient")
def register_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "patients/register.html", {"form": RegistrationForm()})
    form = RegistrationForm(request.POST)
    if not form.is_valid():
        return render(request, "patients/register.html", {"form": form}, status=400)
    registration = form.registration()
    candidates = match_record(registration)
    fingerprint = match_fingerprint(candidates)
    confirmed = form.cleaned_data["confirm_no_match"] and form.cleaned_data["shown_matches"] == fingerprint
    if candidates and not confirmed:
        _record_match_check(request, candidates)
        data = request.POST.copy()
        data["shown_matches"] = fingerprint
        data.pop("confirm_no_match", None)
        shown = RegistrationForm(data)
        shown.is_valid()
        return render(request, "patients/register.html", {"form": shown, "matches": candidates})
    try:
        patient = actions.do_register_patient(registration, acting_user=request.user)
    except (InvalidPatientData, InvalidField) as refusal:
        _field_errors(form, refusal)
        return render(request, "patients/register.html", {"form": form}, status=400)
    messages.success(request, f"Registered {patient.display_name} with MRN {patient.mrn}.")
    return redirect(chart_url(patient))


# --- demographics and identifiers --------------------------------------------------------------

@requires("patients.edit_patient")
@opens_patient("patients.edit_patient")
def edit_view(request: HttpRequest, patient: Patient) -> HttpResponse:
    if request.method != "POST":
        form = DemographicsForm.for_patient(patient)
        return render(request, "patients/edit.html", {"patient": patient, "form": form})
    form = DemographicsForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            updated = actions.do_update_demographics(patient, form.changes(patient),
                                                     expected_revision=form.cleaned_data["revision"],
                                                     acting_user=request.user)
        except ConcurrentChange as stale:
            form.add_error(None, stale.message)
            status = 409
        except (InvalidPatientData, InvalidField) as refusal:
            _field_errors(form, refusal)
        else:
            messages.success(request, f"Saved the details of {updated.display_name}.")
            return redirect(chart_url(updated))
    return render(request, "patients/edit.html", {"patient": patient, "form": form}, status=status)


IDENTITY_FORMS: dict[str, type[Any]] = {
    "identifier": IdentifierForm, "name": OtherNameForm, "address": AddressForm, "phone": PhoneForm,
}


def _save_identity(kind: str, form: Any, patient: Patient, user: Any) -> str:
    if kind == "identifier":
        row: Any = actions.do_add_identifier(patient, form.identifier(), acting_user=user)
    elif kind == "name":
        row = actions.do_add_other_name(patient, form.name(), acting_user=user)
    elif kind == "address":
        row = actions.do_add_address(patient, form.address(), acting_user=user)
    else:
        row = actions.do_add_phone(patient, use=form.cleaned_data["use"], number=form.cleaned_data["number"],
                                   acting_user=user)
    return f"Added {row}."


@requires("patients.edit_patient")
@opens_patient("patients.edit_patient")
def identifiers_view(request: HttpRequest, patient: Patient) -> HttpResponse:
    forms = {kind: form_class(prefix=kind) for kind, form_class in IDENTITY_FORMS.items()}
    status = 200
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind not in IDENTITY_FORMS:
            messages.error(request, "Choose what to add: identifier, name, address or phone.")
            return redirect("patients-identifiers", patient_id=patient.pk)
        form = IDENTITY_FORMS[kind](request.POST, prefix=kind)
        forms[kind] = form
        if form.is_valid():
            try:
                messages.success(request, _save_identity(kind, form, patient, request.user))
                return redirect("patients-identifiers", patient_id=patient.pk)
            except (InvalidPatientData, InvalidField) as refusal:
                _field_errors(form, refusal)
        status = 400
    context = {
        "patient": patient,
        "forms": forms,
        "identifiers": patient.identifiers.order_by("-active", "type", "-recorded_at"),
        "names": patient.names.order_by("-active", "use", "-recorded_at"),
        "addresses": patient.addresses.order_by("-active", "use", "-pk"),
        "phones": patient.phones.order_by("-active", "use", "-pk"),
    }
    return render(request, "patients/identifiers.html", context, status=status)


# --- restriction, grants, break-the-glass --------------------------------------------------------

@requires("patients.restrict_chart")
@opens_patient("patients.restrict_chart")
def restriction_view(request: HttpRequest, patient: Patient) -> HttpResponse:
    restriction_form = RestrictionForm(initial={"restriction": patient.restriction, "note": patient.restriction_note})
    grant_form = GrantForm()
    status = 200
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        status = 400
        try:
            if kind == "restriction":
                restriction_form = RestrictionForm(request.POST)
                if restriction_form.is_valid():
                    actions.do_set_restriction(patient, restriction=restriction_form.cleaned_data["restriction"],
                                               note=restriction_form.cleaned_data["note"], acting_user=request.user)
                    messages.success(request, "Saved the restriction.")
                    return redirect("patients-restriction", patient_id=patient.pk)
            elif kind == "grant":
                grant_form = GrantForm(request.POST)
                if grant_form.is_valid():
                    grantee = grant_form.cleaned_data["username"]
                    actions.do_grant_chart_access(patient, grantee, reason=grant_form.cleaned_data["reason"],
                                                  acting_user=request.user)
                    messages.success(request, f"{grantee.get_username()} may now open this chart.")
                    return redirect("patients-restriction", patient_id=patient.pk)
            elif kind == "revoke":
                revoke_form = RevokeForm(request.POST)
                grant = None
                if revoke_form.is_valid():
                    grant = ChartAccessGrant.objects.filter(pk=revoke_form.cleaned_data["grant"],
                                                            patient=patient).first()
                if grant is None:
                    messages.error(request, "That grant is not on this chart.")
                else:
                    actions.do_revoke_chart_access(grant, acting_user=request.user)
                    messages.success(request, f"Revoked {grant.user.get_username()}'s access.")
                return redirect("patients-restriction", patient_id=patient.pk)
            else:
                messages.error(request, "Choose what to change: the restriction, a grant or a revocation.")
                return redirect("patients-restriction", patient_id=patient.pk)
        except InvalidField as refusal:
            target = restriction_form if kind == "restriction" else grant_form
            _field_errors(target, refusal)
    context = {
        "patient": patient,
        "restriction_form": restriction_form,
        "grant_form": grant_form,
        "grants": access_chart_grants_by_patient(request.user, patient),
    }
    return render(request, "patients/restriction.html", context, status=status)


def _safe_next(request: HttpRequest, candidate: str, fallback: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return fallback


@requires("accounts.break_the_glass")
def break_the_glass_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Emergency access to a restricted chart. Until the glass is broken the chart stays forbidden,
    so this page answers 403 (with the form) and shows who the chart is, never what is in it."""
    try:
        patient = access_patient_for_break_the_glass(request.user, patient_id)
    except NotFound:
        return not_found(request)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""), chart_url(patient))
    if restriction_allows(request.user, patient):
        return redirect(next_url)
    form = BreakTheGlassForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            access = actions.do_break_the_glass(patient, reason=form.cleaned_data["reason"], acting_user=request.user)
        except InvalidField as refusal:
            _field_errors(form, refusal)
        else:
            messages.warning(request, f"Break-the-glass access to this chart until "
                                      f"{access.expires_at:%H:%M}; the privacy officer will review it.")
            return redirect(next_url)
    context = {"patient": patient, "form": form, "next": next_url, "minutes": settings.BREAK_THE_GLASS_MINUTES}
    return render(request, "patients/break_the_glass.html", context, status=403)


@requires("patients.reveal_ssn")
@require_POST
@opens_patient("patients.reveal_ssn", audit=False)
def reveal_ssn_view(request: HttpRequest, patient: Patient) -> HttpResponse:
    ssn = actions.do_reveal_ssn(patient, acting_user=request.user)  # the reveal itself is the audited view
    context = {"patient": patient, "revealed_ssn": ssn}
    template = "patients/_ssn.html" if request.htmx else "patients/ssn.html"  # type: ignore[attr-defined]
    return render(request, template, context)
