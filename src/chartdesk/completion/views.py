"""The provider's charts-to-complete queue, one deficiency with its one-click actions, and HIM's pages.

Views stay thin: reads through completion.access, writes through completion.actions.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from chartdesk.charts import access as document_access
from chartdesk.charts.actions import attestation_statement, provider_of
from chartdesk.charts.forms import SignForm
from chartdesk.completion import access, actions
from chartdesk.completion.models import DeficiencyRule, DeficiencyStatus, RuleKind
from chartdesk.completion.notices import latest_notices_for
from chartdesk.core.errors import ChartdeskError, ConcurrentChange, NotFound, PermissionRefused
from chartdesk.core.listing import Column, list_page
from chartdesk.core.permissions import requires
from chartdesk.patients.view_guards import opens_records

SIGNING_KINDS = (RuleKind.SIGNATURE, RuleKind.COSIGNATURE)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "core/not_found.html", status=404)


def _status_of(refusal: ChartdeskError) -> int:
    return 403 if isinstance(refusal, PermissionRefused) else 400


QUEUE_COLUMNS = (
    Column("patient", "Patient", ("deficiency__patient__family_name", "deficiency__patient__given_name")),
    Column("mrn", "MRN", ("deficiency__patient__mrn",)),
    Column("encounter", "Encounter", ("deficiency__encounter__account_number",)),
    Column("deficiency", "Deficiency", ("deficiency__description",)),
    Column("status", "Status", ("deficiency__status",)),
    Column("age", "Age (days)", ("age_days",), numeric=True),
    Column("reminders", "Reminders", ("deficiency__reminders_sent",), numeric=True),
    Column("due", "Due", ("deficiency__due_at",)),
)
REVIEW_COLUMNS = (
    Column("opened", "Opened", ("opened_at",)),
    Column("patient", "Patient", ("patient__family_name", "patient__given_name")),
    Column("encounter", "Encounter", ("encounter__account_number",)),
    Column("age", "Age (days)", ("-encounter__discharge_at",), numeric=True),
    Column("deficiency", "Deficiency", ("description",)),
    Column("provider", "Provider", ("provider__family_name",)),
    Column("status", "Status", ("status",)),
)


@requires("completion.complete_charts")
def queue_view(request: HttpRequest) -> HttpResponse:
    """Charts to complete: the signed-in provider's outstanding deficiencies, oldest first."""
    queue = access.access_queue_for_user(request.user)
    now = timezone.now()
    rows = [{"deficiency": d, "age_days": d.age_days(now),
             "overdue": d.due_at is not None and d.due_at < now} for d in queue]
    listing = list_page(request, rows, QUEUE_COLUMNS, default_sort="-age", tie_breaker="deficiency__pk")
    return render(request, "completion/queue.html", {"rows": listing.rows, "listing": listing,
                                                     "notices": latest_notices_for(request.user, limit=3)})


def _signing_screen(request: HttpRequest, deficiency: Any, form: SignForm | None) -> dict[str, Any]:
    """What the deficiency page needs to sign: the document as it stands, read through charts' access
    function (so the look is audited like any other), and the attestation the signature will carry;
    the same screen as the document's own sign page (charts/_sign_panel.html)."""
    document = document_access.access_document_by_id(request.user, deficiency.document_id)
    provider = provider_of(request.user)
    now = timezone.now()
    statement = ""
    if provider is not None:
        statement = (actions.cosign_statement(provider, now) if deficiency.kind == RuleKind.COSIGNATURE
                     else attestation_statement(provider, now))
    return {"sign_version": document.current_version, "statement": statement, "document": document,
            "sign_form": form or SignForm(initial={"revision": document.revision})}


@requires("completion.complete_charts")
@opens_records
def deficiency_view(request: HttpRequest, deficiency_id: int) -> HttpResponse:
    """One deficiency: sign (on the signing screen: the document, the attestation, the confirmation),
    mark dictation needed, or dispute with a reason."""
    deficiency = access.access_deficiency_by_id(request.user, deficiency_id)
    dispute = ReasonForm(prefix="dispute")
    sign_form = None
    status = 200
    if request.method == "POST":
        chosen = request.POST.get("action", "")
        try:
            if chosen == "sign":
                sign_form = SignForm(request.POST)
                if sign_form.is_valid():
                    actions.do_sign_from_queue(deficiency, acting_user=request.user,
                                               expected_revision=sign_form.cleaned_data["revision"],
                                               attestation=sign_form.cleaned_data["attestation"] or None)
                    messages.success(request, "Signed. The deficiency is complete.")
                    return redirect("completion-queue")
                status = 400
            elif chosen == "dictate":
                actions.do_mark_dictation_needed(deficiency, acting_user=request.user)
                messages.success(request, "Marked as dictation needed.")
                return redirect("completion-queue")
            elif chosen == "dispute":
                dispute = ReasonForm(request.POST, prefix="dispute")
                if dispute.is_valid():
                    actions.do_dispute_deficiency(deficiency, reason=dispute.cleaned_data["reason"],
                                                  acting_user=request.user)
                    messages.success(request, "Disputed. HIM will review it.")
                    return redirect("completion-queue")
                status = 400
            else:
                status = 400
                messages.error(request, "Choose sign, dictation needed or dispute.")
        except NotFound:
            return _not_found(request)
        except ConcurrentChange as refusal:
            messages.error(request, refusal.message)
            sign_form, status = None, 409  # a fresh screen, with the document as it is now
        except ChartdeskError as refusal:
            messages.error(request, refusal.message)
            status = _status_of(refusal)
    can_sign = deficiency.is_outstanding and deficiency.kind in SIGNING_KINDS and deficiency.document_id is not None
    return render(request, "completion/deficiency.html", {
        "deficiency": deficiency,
        "can_sign": can_sign,
        "can_dictate": deficiency.status == DeficiencyStatus.OPEN and deficiency.kind not in SIGNING_KINDS,
        "dispute_form": dispute,
        **(_signing_screen(request, deficiency, sign_form) if can_sign else {}),
    }, status=status)


@requires("completion.manage_deficiencies")
def review_view(request: HttpRequest) -> HttpResponse:
    """HIM's list of deficiencies: outstanding ones, or one status (disputed, delinquent work)."""
    status = request.GET.get("status", "")
    deficiencies = access.access_deficiencies_for_review(request.user, status=status)
    listing = list_page(request, deficiencies, REVIEW_COLUMNS, default_sort="opened")
    now = timezone.now()
    return render(request, "completion/review.html", {
        "deficiencies": [(d, d.age_days(now)) for d in listing.rows], "listing": listing, "status": status,
        "statuses": DeficiencyStatus.choices,
        "notices": latest_notices_for(request.user, limit=3),
    })


@requires("completion.manage_deficiencies")
@opens_records
def review_deficiency_view(request: HttpRequest, deficiency_id: int) -> HttpResponse:
    """HIM resolves a deficiency, marks it not applicable, or rejects a dispute, each with a reason."""
    deficiency = access.access_deficiency_by_id(request.user, deficiency_id)
    form = ReasonForm()
    status = 200
    if request.method == "POST":
        form = ReasonForm(request.POST)
        chosen = request.POST.get("action", "")
        chosen_action: Any = {
            "resolve": actions.do_resolve_deficiency,
            "not_applicable": actions.do_mark_not_applicable,
            "uphold": actions.do_uphold_deficiency,
        }.get(chosen)
        if chosen_action is None:
            status = 400
            messages.error(request, "Choose resolve, not applicable or reject the dispute.")
        elif form.is_valid():
            try:
                chosen_action(deficiency, reason=form.cleaned_data["reason"], acting_user=request.user)
                messages.success(request, "Saved.")
                return redirect("completion-review")
            except ChartdeskError as refusal:
                messages.error(request, refusal.message)
                status = _status_of(refusal)
        else:
            status = 400
    return render(request, "completion/review_deficiency.html", {"deficiency": deficiency, "form": form},
                  status=status)


def _months_back(today: date, count: int) -> list[date]:
    months = [today.replace(day=1)]
    while len(months) < count:
        previous = months[-1]
        months.append((previous.replace(day=1) - timedelta(days=1)).replace(day=1))
    return months


@requires("completion.manage_deficiencies")
def delinquency_view(request: HttpRequest) -> HttpResponse:
    """The monthly delinquency rate against average monthly discharges, for the last twelve months."""
    months = [access.delinquency_rate(month) for month in _months_back(timezone.localdate(), 12)]
    return render(request, "completion/delinquency.html", {"months": months})


class RuleForm(forms.ModelForm):
    class Meta:
        model = DeficiencyRule
        fields = ["code", "name", "kind", "encounter_class", "document_type", "anchor", "hours_before", "hours_after",
                  "cosign_credentials", "active"]


@requires("completion.manage_rules")
def rules_view(request: HttpRequest) -> HttpResponse:
    """The deficiency rules, and a form to add one."""
    form = RuleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                data = dict(form.cleaned_data)
                actions.do_save_rule(None, acting_user=request.user, **data)
                messages.success(request, "Rule added; it applies from the next analysis.")
                return redirect("completion-rules")
            except ChartdeskError as refusal:
                form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
    return render(request, "completion/rules.html", {"rules": DeficiencyRule.objects.all(), "form": form},
                  status=status)


@requires("completion.manage_rules")
def rule_view(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Change one rule (or switch it off)."""
    rule = DeficiencyRule.objects.filter(pk=rule_id).first()
    if rule is None:
        return _not_found(request)
    form = RuleForm(request.POST or None, instance=rule)
    form.fields["code"].disabled = True
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                data = {key: value for key, value in form.cleaned_data.items() if key != "code"}
                actions.do_save_rule(DeficiencyRule.objects.get(pk=rule_id), acting_user=request.user, **data)
                messages.success(request, "Rule saved.")
                return redirect("completion-rules")
            except ChartdeskError as refusal:
                form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
    return render(request, "completion/rule.html", {"rule": rule, "form": form}, status=status)
