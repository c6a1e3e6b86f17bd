"""Exercises authored on the desk: the instructor's list and the form to write one, edit (a new version)
and retire it. The kind's own grading judges the key before anything is saved (actions._authored_fields).
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.forms import record_id
from chartdesk.core.permissions import requires
from chartdesk.core.refusals import add_refusal, form_status
from chartdesk.training import access, actions
from chartdesk.training.actions import TEACH
from chartdesk.training.catalogue import competency_list
from chartdesk.training.grading import kinds
from chartdesk.training.models import AuthoredExercise


def _found(lookup: Any, *args: Any) -> Any:
    try:
        return lookup(*args)
    except NotFound:
        raise Http404 from None


def _json_field(text: str, label: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as problem:
        raise forms.ValidationError(f"{label} is not JSON: {problem.msg} at line {problem.lineno}, "
                                    f"column {problem.colno}.") from None


class ExerciseForm(forms.Form):
    kind = forms.ChoiceField(label="Kind")
    title = forms.CharField(label="Title", max_length=200)
    competencies = forms.MultipleChoiceField(label="Competencies", widget=forms.CheckboxSelectMultiple)
    instructions = forms.CharField(label="Instructions (what the student reads)", max_length=5000,
                                   widget=forms.Textarea(attrs={"rows": 4}))
    setup = forms.CharField(label="Setup and material, as JSON (the kind's setup, docs/training-kinds.md)",
                            required=False, widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}))
    key = forms.CharField(label="Answer key, as JSON in the kind's answer format",
                          widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}))

    def __init__(self, *args: Any, fixed_kind: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind_field, competency_field = self.fields["kind"], self.fields["competencies"]
        assert isinstance(kind_field, forms.ChoiceField) and isinstance(competency_field, forms.ChoiceField)
        kind_field.choices = [(name, kind.title) for name, kind in sorted(kinds().items())]
        competency_field.choices = [(name, name) for name in competency_list()]
        if fixed_kind is not None:
            # An edit keeps the kind: a new version answers the same way as the old.
            self.fields["kind"].disabled = True
            self.fields["kind"].initial = fixed_kind

    def clean_setup(self) -> Any:
        text = self.cleaned_data["setup"].strip()
        return _json_field(text, "Setup") if text else {}

    def clean_key(self) -> Any:
        return _json_field(self.cleaned_data["key"], "Answer key")

    def fields_for_action(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"title": data["title"], "competencies": list(data["competencies"]),
                "instructions": data["instructions"], "setup": data["setup"], "key": data["key"]}


@requires(TEACH)
def authored_list_view(request: HttpRequest) -> HttpResponse:
    """The instructor's authored exercises and the form to write a new one."""
    form = ExerciseForm(request.POST or None)
    refused: ChartdeskError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            authored = actions.do_author_exercise(kind=form.cleaned_data["kind"], acting_user=request.user,
                                                  **form.fields_for_action())
        except ChartdeskError as refusal:
            refused = refusal
            add_refusal(form, refusal)
        else:
            messages.success(request, f"Exercise {authored.exercise_id} saved as version 1.")
            return redirect("training-authored", authored.pk)
    authored_rows = AuthoredExercise.objects.filter(author_id=request.user.pk).prefetch_related("versions")
    return render(request, "training/authored_list.html", {"form": form, "authored": authored_rows},
                  status=form_status(form, refused) if request.method == "POST" else 200)


@requires(TEACH)
def authored_view(request: HttpRequest, authored_id: str) -> HttpResponse:
    """One authored exercise: its versions, and the form whose saving writes the next version."""
    authored = _found(access.access_authored_by_id, request.user, record_id(authored_id, "exercise"))
    versions = list(authored.versions.order_by("number"))
    latest = versions[-1]
    initial = {"kind": authored.kind, "title": latest.title, "competencies": latest.competencies,
               "instructions": latest.instructions, "setup": json.dumps(latest.setup, indent=2),
               "key": json.dumps(latest.key, indent=2)}
    form = ExerciseForm(request.POST or None, initial=initial, fixed_kind=authored.kind)
    refused: ChartdeskError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            version = actions.do_revise_exercise(authored, acting_user=request.user, **form.fields_for_action())
        except ChartdeskError as refusal:
            refused = refusal
            add_refusal(form, refusal)
        else:
            messages.success(request, f"Saved as version {version.number}; attempts keep the version they were "
                                      "graded against.")
            return redirect("training-authored", authored.pk)
    return render(request, "training/authored.html", {"authored": authored, "versions": versions, "form": form},
                  status=form_status(form, refused) if request.method == "POST" else 200)


@requires(TEACH)
@require_POST
def authored_retire_view(request: HttpRequest, authored_id: str) -> HttpResponse:
    authored = _found(access.access_authored_by_id, request.user, record_id(authored_id, "exercise"))
    try:
        actions.do_retire_exercise(authored, acting_user=request.user)
    except ChartdeskError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"{authored.exercise_id} retired: no new attempts or exams use it.")
    return redirect("training-authored", authored.pk)
