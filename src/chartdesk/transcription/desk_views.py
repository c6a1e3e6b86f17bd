"""The supervisor's side of the transcription desk and the editor's spelling check: document templates,
the QA queue and its scoring, the transcriptionist's QA feedback, the spelling endpoint and the personal
dictionary. Reads through transcription.access, writes through transcription.actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from chartdesk.charts.access import access_document_by_id
from chartdesk.charts.models import DocumentVersion
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.permissions import requires
from chartdesk.core.refusals import add_refusal, form_status, refusal_status
from chartdesk.patients.view_guards import opens_records
from chartdesk.transcription import access, actions, quality, spelling
from chartdesk.transcription.forms import DocumentTemplateForm, PersonalWordForm, QAReviewForm, SpellingForm
from chartdesk.transcription.models import DocumentTemplate


@requires(actions.MANAGE_TEMPLATES)
def templates_view(request: HttpRequest) -> HttpResponse:
    """Every document template, active or not, by type; and the form for a new one."""
    form = DocumentTemplateForm(request.POST or None)
    refused: ChartdeskError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            template = actions.do_save_template(None, acting_user=request.user, **form.cleaned_data)
        except ChartdeskError as refusal:
            add_refusal(form, refusal)
            refused = refusal
        else:
            messages.success(request, f"Template \"{template.name}\" added.")
            return redirect("transcription-templates")
    templates = DocumentTemplate.objects.select_related("updated_by")
    return render(request, "transcription/templates.html", {"templates": templates, "form": form},
                  status=form_status(form, refused))


@requires(actions.MANAGE_TEMPLATES)
def template_view(request: HttpRequest, template_id: int) -> HttpResponse:
    """Change a template, or retire it from the editor (inactive); templates are never deleted."""
    template = DocumentTemplate.objects.filter(pk=template_id).first()
    if template is None:
        return render(request, "core/not_found.html", status=404)
    initial = {"document_type": template.document_type, "name": template.name, "text": template.text,
               "active": template.active}
    form = DocumentTemplateForm(request.POST or None, initial=initial)
    refused: ChartdeskError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_save_template(template, acting_user=request.user, **form.cleaned_data)
        except ChartdeskError as refusal:
            add_refusal(form, refusal)
            refused = refusal
        else:
            messages.success(request, f"Template \"{form.cleaned_data['name']}\" saved.")
            return redirect("transcription-templates")
    return render(request, "transcription/template.html", {"template": template, "form": form},
                  status=form_status(form, refused))


@requires(actions.TRANSCRIBE)
def spelling_view(request: HttpRequest) -> HttpResponse:
    """POST the transcript: its unknown words (JSON), each with its line, count and suggestions. The text
    is checked and dropped: nothing is stored or logged, as it is still the transcriptionist's draft."""
    if request.method != "POST":
        return JsonResponse({"error": "POST the text to check."}, status=405)
    form = SpellingForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": "The text is too long to check at once (500,000 characters at most)."},
                            status=400)
    found = spelling.misspellings(form.cleaned_data["text"], actions.personal_words(request.user))
    return JsonResponse({"misspellings": [entry.as_json() for entry in found]})


@requires(actions.TRANSCRIBE)
def dictionary_view(request: HttpRequest) -> HttpResponse:
    """Add a word to the signed-in user's dictionary. A script gets JSON back; a form goes back to the
    page it came from (the editor)."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.method != "POST":
        return JsonResponse({"error": "POST the word to add."}, status=405)
    form = PersonalWordForm(request.POST)
    problem = ""
    word = ""
    if not form.is_valid():
        problem = "Give the word to add."
    else:
        try:
            word = actions.do_add_personal_word(request.user, word=form.cleaned_data["word"])
        except ChartdeskError as refusal:
            problem = refusal.message
    if wants_json:
        return JsonResponse({"error": problem} if problem else {"added": word}, status=400 if problem else 200)
    if problem:
        messages.error(request, f"The word was not added: {problem}")
    else:
        messages.success(request, f"\"{word}\" is in your dictionary.")
    back = request.POST.get("dictation", "")
    if back.isdigit():
        return redirect("transcription-editor", dictation_id=int(back))
    return redirect("transcription-queue")


@requires(actions.REVIEW_QA)
def qa_queue_view(request: HttpRequest) -> HttpResponse:
    """The drafts drawn for QA and not yet scored."""
    samples = access.access_qa_queue(request.user)
    return render(request, "transcription/qa_queue.html", {"samples": samples, "categories": quality.ERROR_CATEGORIES,
                                                           "target": quality.TARGET_SCORE})


def _delivered(sample: Any) -> DocumentVersion | None:
    """The version the transcriptionist delivered: the last they saved (the author's edits came later)."""
    return (DocumentVersion.objects.filter(document_id=sample.dictation.document_id,
                                           created_by=sample.transcriptionist_id).order_by("-number").first())


@requires(actions.REVIEW_QA)
@opens_records
def qa_review_view(request: HttpRequest, dictation_id: int) -> HttpResponse:
    """Score one drawn draft: error counts by category and feedback; the score is computed."""
    sample = access.access_qa_sample(request.user, dictation_id)
    if sample.dictation.document_id is None:
        raise NotFound("QA sample")
    access_document_by_id(request.user, sample.dictation.document_id)  # the reading of the draft is audited
    form = QAReviewForm(request.POST or None)
    status = 200
    if request.method == "POST" and sample.reviewed_at is None:
        if form.is_valid():
            try:
                scored = actions.do_review_qa_sample(sample, errors=form.error_counts(),
                                                     feedback=form.cleaned_data["feedback"], acting_user=request.user)
            except ChartdeskError as refusal:
                add_refusal(form, refusal)
                status = refusal_status(refusal)
            else:
                messages.success(request, f"Scored {scored.score:.2f}.")
                return redirect("transcription-qa")
        else:
            status = 400
    elif request.method == "POST":
        messages.error(request, actions.QA_ALREADY_SCORED.format(reviewer=sample.reviewer))
        status = 409
    return render(request, "transcription/qa_review.html", {
        "sample": sample, "delivered": _delivered(sample), "form": form, "categories": quality.ERROR_CATEGORIES,
    }, status=status)


@requires(actions.TRANSCRIBE)
def own_qa_view(request: HttpRequest) -> HttpResponse:
    """The signed-in transcriptionist's scored QA samples with the reviewers' feedback."""
    samples = access.access_own_qa(request.user)
    labels = {category.slug: category.label for category in quality.ERROR_CATEGORIES}
    rows = [{"sample": sample, "errors": [(labels.get(slug, slug), count) for slug, count in sample.errors.items()]}
            for sample in samples]
    return render(request, "transcription/own_qa.html", {"rows": rows, "target": quality.TARGET_SCORE})
