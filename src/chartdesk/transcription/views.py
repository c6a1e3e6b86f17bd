"""The transcription desk: dictation upload, the transcription queue, the author's drafts, one dictation
and its audio. Views stay thin: reads through transcription.access, writes through transcription.actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from chartdesk.charts.actions import provider_of
from chartdesk.charts.files import human_size
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.permissions import requires
from chartdesk.core.refusals import add_refusal, form_status, refusal_status
from chartdesk.patients.access import access_patient_by_id
from chartdesk.patients.view_guards import opens_records, refuse_retired_chart
from chartdesk.transcription import access, actions, productivity
from chartdesk.transcription.forms import AssignForm, DictationUploadForm, RevisionForm


@requires(actions.DICTATE)
@opens_records
def upload_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Upload a recording for one of the patient's encounters; a short one is recognised at once."""
    from django.conf import settings

    patient = access_patient_by_id(request.user, patient_id)
    if retired := refuse_retired_chart(request, patient, actions.PATIENT_MERGED):
        return retired
    provider = provider_of(request.user)
    form = DictationUploadForm(request.POST or None, request.FILES or None, patient=patient,
                               initial={"author": provider.pk} if provider else {})
    refused: ChartdeskError | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dictation = actions.do_upload_dictation(
                patient, encounter=data["encounter"], document_type=data["document_type"], priority=data["priority"],
                author=data["author"], upload=data["audio"], acting_user=request.user,
            )
        except ChartdeskError as refusal:
            add_refusal(form, refusal)
            refused = refusal
        else:
            _recognise_if_short(request, dictation)
            if request.user.has_perm(actions.VIEW_QUEUE):
                return redirect("transcription-dictation", dictation_id=dictation.pk)
            return redirect("transcription-author-queue")
    context = {"patient": patient, "form": form, "max_upload": human_size(settings.MAX_DICTATION_BYTES)}
    response = render(request, "transcription/upload.html", context, status=form_status(form, refused))
    # The one page that may use the microphone (its "Record" control); everywhere else the site's
    # Permissions-Policy keeps it off (core.middleware).
    response["Permissions-Policy"] = "camera=(), microphone=(self), geolocation=()"
    return response


def _recognise_if_short(request: HttpRequest, dictation: Any) -> None:
    if not actions.recognise_while_waiting(dictation):
        messages.success(request, "Dictation stored. It is long: speech recognition runs in the background "
                                  "(follow it on the jobs page) and the draft follows.")
        return
    try:
        actions.do_transcribe_dictation(dictation, acting_user=request.user)
    except ChartdeskError as refusal:
        messages.error(request, f"Dictation stored, but {refusal.message[0].lower()}{refusal.message[1:]}")
    else:
        messages.success(request, "Dictation stored and its draft is ready for editing.")


@requires(actions.VIEW_QUEUE)
def queue_view(request: HttpRequest) -> HttpResponse:
    """Open dictations, soonest due first, with overdue flags and who has each one."""
    mine_only = request.GET.get("mine") == "1"
    queue = access.access_transcription_queue(request.user, mine_only=mine_only)
    now = timezone.now()
    rows = [{"dictation": d, "overdue": d.is_overdue(now)} for d in queue]
    own = productivity.access_own_productivity(request.user) if request.user.has_perm(actions.TRANSCRIBE) else None
    return render(request, "transcription/queue.html", {
        "rows": rows, "mine_only": mine_only, "overdue_count": sum(row["overdue"] for row in rows),
        "own": own, "own_lines": sum(total.lines for total in own.totals) if own else 0,
        "may_assign": request.user.has_perm(actions.ASSIGN),
    })


@requires(actions.DICTATE)
def author_queue_view(request: HttpRequest) -> HttpResponse:
    """The provider's dictations: drafts to review and sign, and those still being transcribed."""
    queue = access.access_author_queue(request.user)
    now = timezone.now()
    rows = [{"dictation": d, "overdue": d.is_overdue(now)} for d in queue]
    return render(request, "transcription/author_queue.html", {"rows": rows})


@requires(actions.VIEW_QUEUE)
@opens_records
def dictation_view(request: HttpRequest, dictation_id: int) -> HttpResponse:
    """One dictation: its audio, status, due time, draft document, and the transcriptionist's steps."""
    dictation = access.access_dictation_by_id(request.user, dictation_id)
    assign_form = AssignForm(initial={"revision": dictation.revision})
    status = 200
    if request.method == "POST":
        chosen = request.POST.get("action", "")
        try:
            done = _act(request, dictation, chosen)
        except ChartdeskError as refusal:
            messages.error(request, refusal.message)
            status = refusal_status(refusal)
        else:
            if done is not None:
                messages.success(request, done)
                return redirect("transcription-dictation", dictation_id=dictation.pk)
            status = 400
            messages.error(request, "Choose take, assign, send to author or recognise again.")
        dictation = access.access_dictation_by_id(request.user, dictation_id)
    return render(request, "transcription/dictation.html", {
        "dictation": dictation, "assign_form": assign_form, "overdue": dictation.is_overdue(),
        "may_transcribe": request.user.has_perm(actions.TRANSCRIBE),
        "may_assign": request.user.has_perm(actions.ASSIGN),
    }, status=status)


def _act(request: HttpRequest, dictation: Any, chosen: str) -> str | None:
    revision = RevisionForm(request.POST)
    expected = revision.cleaned_data["revision"] if revision.is_valid() else None
    if chosen == "take":
        actions.do_assign_dictation(dictation, assignee=request.user, acting_user=request.user,
                                    expected_revision=expected)
        return "The dictation is yours."
    if chosen == "assign":
        form = AssignForm(request.POST)
        if not form.is_valid():
            raise ChartdeskError("Choose the transcriptionist to assign the dictation to.", field="assignee")
        actions.do_assign_dictation(dictation, assignee=form.cleaned_data["assignee"], acting_user=request.user,
                                    expected_revision=expected)
        return f"Assigned to {form.cleaned_data['assignee']}."
    if chosen == "send":
        actions.do_send_to_author(dictation, acting_user=request.user, expected_revision=expected)
        return "Sent to the author for review and signature."
    if chosen == "recognise":
        actions.do_queue_recognition(dictation, acting_user=request.user)
        return "Speech recognition is queued; follow it on the jobs page."
    return None
