"""The transcriptionist's editor (audio synced to the draft's words, flags before saving, abbreviations),
the recording streamed with HTTP Range so the player can seek, and the productivity report.

Reads go through transcription.access and charts.access; writes through charts' do_edit_draft and
transcription.actions.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render

from chartdesk.charts.access import access_document_by_id
from chartdesk.charts.actions import do_edit_draft
from chartdesk.charts.files import sha256_of_stored
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.permissions import requires
from chartdesk.core.refusals import refusal_status
from chartdesk.patients.view_guards import opens_records
from chartdesk.transcription import access, actions, editor, productivity, quality, spelling
from chartdesk.transcription.forms import EditorForm, PersonalAbbreviationForm
from chartdesk.transcription.models import DocumentTemplate

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
STREAM_CHUNK = 256 * 1024
NO_DRAFT = "This dictation has no draft yet: recognise it first, or wait for its recognition."


def _context(request: HttpRequest, dictation: Any, document: Any, form: EditorForm,
             flags: list[editor.Flag]) -> dict[str, Any]:
    personal = actions.personal_abbreviations(request.user)
    text = form["text"].value() or ""
    return {
        "dictation": dictation, "document": document, "form": form, "flags": flags,
        "words": dictation.words, "abbreviations": {**editor.site_abbreviations(), **personal},
        "personal": personal, "abbreviation_form": PersonalAbbreviationForm(),
        "lines": editor.line_count(text),
        "templates": (templates := templates_for(dictation.document_type)),
        "template_texts": {str(template.pk): template.text for template in templates},
        "misspellings": spelling.misspellings(text, actions.personal_words(request.user)),
    }


def templates_for(document_type: str) -> list[DocumentTemplate]:
    return list(DocumentTemplate.objects.filter(document_type=document_type, active=True))


def _with_template(request: HttpRequest, dictation: Any, text: str) -> str:
    """The "insert template" of a browser without scripts: the chosen template (of the dictation's type,
    active) after the draft's text, unsaved until the transcriptionist saves. The script inserts it at
    the cursor instead."""
    chosen = request.GET.get("template", "")
    if not chosen.isdigit():
        return text
    template = DocumentTemplate.objects.filter(pk=int(chosen), document_type=dictation.document_type,
                                               active=True).first()
    if template is None:
        messages.error(request, "That template is not one of this document type's active templates.")
        return text
    return f"{text.rstrip()}\n\n{template.text}" if text.strip() else template.text


@requires(actions.TRANSCRIBE)
@opens_records
def editor_view(request: HttpRequest, dictation_id: int) -> HttpResponse:
    """Edit the draft with the audio. A save that still holds do-not-use abbreviations shows them and
    keeps nothing until the transcriptionist corrects them or confirms they stay for the author."""
    dictation = access.access_dictation_by_id(request.user, dictation_id, audit_as="dictation_editor")
    if dictation.document_id is None:
        messages.error(request, NO_DRAFT)
        return redirect("transcription-dictation", dictation_id=dictation.pk)
    document = access_document_by_id(request.user, dictation.document_id)
    current = document.current_version
    draft = current.text if current else ""
    if request.method == "GET":
        draft = _with_template(request, dictation, draft)
    form = EditorForm(request.POST or None, initial={"text": draft, "revision": document.revision})
    flags: list[editor.Flag] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            text = form.cleaned_data["text"]
            flags = editor.do_not_use_flags(text)
            if flags and not form.cleaned_data["keep_flagged"]:
                status = 400
                form.add_error("text", f"{len(flags)} do-not-use abbreviation(s) flagged below: correct them, "
                                       "or tick \"Keep the flagged abbreviations for the author\" and save again.")
            else:
                try:
                    do_edit_draft(document, text=text, acting_user=request.user,
                                  expected_revision=form.cleaned_data["revision"])
                except ChartdeskError as refusal:
                    form.add_error("text" if refusal.field == "text" else None, refusal.message)
                    status = refusal_status(refusal)
                else:
                    messages.success(request, f"Saved the draft ({editor.line_count(text):.2f} lines).")
                    return redirect("transcription-editor", dictation_id=dictation.pk)
        else:
            status = 400
    return render(request, "transcription/editor.html", _context(request, dictation, document, form, flags),
                  status=status)


@requires(actions.TRANSCRIBE)
@opens_records
def abbreviation_view(request: HttpRequest, dictation_id: int) -> HttpResponse:
    """Add (or replace) one of the signed-in transcriptionist's own expansions, then back to the editor."""
    dictation = access.access_dictation_by_id(request.user, dictation_id, audit_as="dictation_editor")
    if request.method != "POST":
        return redirect("transcription-editor", dictation_id=dictation.pk)
    form = PersonalAbbreviationForm(request.POST)
    if form.is_valid():
        try:
            actions.do_set_personal_abbreviation(request.user, abbreviation=form.cleaned_data["abbreviation"],
                                                 expansion=form.cleaned_data["expansion"])
        except ChartdeskError as refusal:
            messages.error(request, refusal.message)
            return redirect("transcription-editor", dictation_id=dictation.pk)
        messages.success(request, f"\"{form.cleaned_data['abbreviation']}\" now expands to "
                                  f"\"{form.cleaned_data['expansion']}\".")
    else:
        problems = "; ".join(str(error) for errors in form.errors.values() for error in errors)
        messages.error(request, f"The abbreviation was not added: {problems}")
    return redirect("transcription-editor", dictation_id=dictation.pk)


@requires(actions.VIEW_QUEUE)
def audio_view(request: HttpRequest, dictation_id: int) -> HttpResponse:
    """The recording, checked against its SHA-256 and streamed (never whole in memory); a Range request
    answers 206 with that slice so the player can seek. Every hearing is audited."""
    try:
        dictation = access.access_dictation_audio(request.user, dictation_id)
        intact = sha256_of_stored(dictation.audio.name) == dictation.audio_sha256
    except (NotFound, OSError):
        intact = False
    if not intact:
        return render(request, "core/not_found.html", status=404)
    size = dictation.audio_size
    content_type = _content_type(dictation.audio.name)
    wanted = request.headers.get("Range", "")
    if not wanted:
        response: Any = FileResponse(default_storage.open(dictation.audio.name, "rb"), filename=dictation.audio_name,
                                     as_attachment=False, content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        return _as_response(response)
    span = _byte_range(wanted, size)
    if span is None:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    first, last = span
    stream = StreamingHttpResponse(_slice(dictation.audio.name, first, last), status=206, content_type=content_type)
    stream["Content-Range"] = f"bytes {first}-{last}/{size}"
    stream["Content-Length"] = str(last - first + 1)
    stream["Accept-Ranges"] = "bytes"
    return _as_response(stream)


def _as_response(response: Any) -> Any:
    """Streaming responses are not HttpResponse subclasses; `requires` types views as HttpResponse."""
    return response


def _content_type(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower()
    return {"wav": "audio/wav", "wave": "audio/wav", "mp3": "audio/mpeg", "m4a": "audio/mp4", "mp4": "audio/mp4",
            "aac": "audio/aac", "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg",
            "webm": "audio/webm", "weba": "audio/webm"}.get(
        extension, "application/octet-stream")


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """One byte range (RFC 9110 section 14.1.2) clipped to the file, or None when it cannot be served.
    Players ask for one range at a time; a multi-range request is answered as unsatisfiable."""
    match = RANGE.match(header.strip())
    if match is None or size == 0:
        return None
    start, end = match.groups()
    if start == "":
        if end == "" or int(end) == 0:
            return None
        return max(size - int(end), 0), size - 1
    first = int(start)
    last = min(int(end), size - 1) if end else size - 1
    if first >= size or last < first:
        return None
    return first, last


def _slice(name: str, first: int, last: int) -> Any:
    with default_storage.open(name, "rb") as stored:
        stored.seek(first)
        remaining = last - first + 1
        while remaining > 0:
            chunk = stored.read(min(STREAM_CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


@requires(actions.ASSIGN)
def productivity_view(request: HttpRequest) -> HttpResponse:
    """Line counts per transcriptionist and per document, and each document's turnaround."""
    report = productivity.access_productivity(request.user)
    return render(request, "transcription/productivity.html", {"report": report, "qa_target": quality.TARGET_SCORE})
