"""One document: the viewer (versions, diff, addenda, signature), its file, and every change to it.

Each change form carries the revision the user read; a stale one answers 409 with "changed by
someone else, reload". Which buttons show depends on the permission and on the document's state,
and the actions check both again.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.clickjacking import xframe_options_sameorigin

from chartdesk.charts import access, actions
from chartdesk.charts.forms import AddendumForm, CorrectionForm, DraftForm, RetractForm, SignForm
from chartdesk.charts.models import Document, DocumentStatus
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.forms import whole_number
from chartdesk.core.permissions import requires
from chartdesk.core.refusals import add_refusal, form_status
from chartdesk.patients.view_guards import opens_records

SIGNED_STATUSES = (DocumentStatus.FINAL, DocumentStatus.AMENDED)
INLINE_IMAGE_TYPES = {"image/png", "image/jpeg"}  # browsers show these; TIFF is offered as a download


def version_diff(old_text: str, new_text: str) -> list[tuple[str, str]]:
    """Line-by-line difference between two versions: ("same" | "removed" | "added", line)."""
    old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
    rows: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            rows += [("same", line) for line in old_lines[old_start:old_end]]
        else:
            rows += [("removed", line) for line in old_lines[old_start:old_end]]
            rows += [("added", line) for line in new_lines[new_start:new_end]]
    return rows


def _version_number(value: str | None) -> int | None:
    return whole_number(value)


def _state(user: Any, document: Document) -> dict[str, Any]:
    """What this user may do to this document now (the buttons the viewer offers)."""
    current = document.current_version
    retracted = document.status == DocumentStatus.ENTERED_IN_ERROR
    unsigned = current is not None and not current.is_signed
    signed = document.status in SIGNED_STATUSES
    sign_problem = actions.signing_problem(user, document)
    return {
        "retracted": retracted,
        "can_edit": not retracted and document.status == DocumentStatus.PRELIMINARY and unsigned
        and user.has_perm("charts.write_note"),
        "can_sign": not retracted and unsigned and not sign_problem,
        "sign_problem": sign_problem if unsigned and not retracted and user.has_perm("charts.sign_document") else "",
        "can_correct": not retracted and signed and user.has_perm("charts.correct_document"),
        "can_add_addendum": not retracted and signed and user.has_perm("charts.add_addendum"),
        "can_retract": not retracted and user.has_perm("charts.retract_document"),
        "can_sign_addenda": not retracted and user.has_perm("charts.sign_document")
        and actions.provider_of(user) is not None,
    }


@requires("charts.view_documents")
@opens_records
def document_view(request: HttpRequest, document_id: int) -> HttpResponse:
    """The viewer: a version's text or file, its signature, addenda, history, and a diff between versions."""
    document = access.access_document_by_id(request.user, document_id)
    versions = list(document.versions.select_related("created_by", "signed_by").order_by("number"))
    by_number = {version.number: version for version in versions}
    current = document.current_version
    shown = by_number.get(_version_number(request.GET.get("version")) or 0, current)
    diff = None
    diff_from, diff_to = _version_number(request.GET.get("from")), _version_number(request.GET.get("to"))
    if (diff_from is None or diff_to is None) and len(versions) > 1:
        diff_from, diff_to = versions[-2].number, versions[-1].number  # what the latest change changed
    if diff_from in by_number and diff_to in by_number and diff_from != diff_to:
        diff = version_diff(by_number[diff_from].text, by_number[diff_to].text)  # type: ignore[index]
    context = {
        "patient": document.patient,
        "document": document,
        "versions": versions,
        "shown": shown,
        "is_current": shown is not None and current is not None and shown.pk == current.pk,
        "inline_image": shown is not None and shown.content_type in INLINE_IMAGE_TYPES,
        "inline_pdf": shown is not None and shown.content_type == "application/pdf",
        "addenda": list(document.addenda.select_related("created_by", "signed_by", "version")),
        "diff": diff,
        "diff_from": diff_from,
        "diff_to": diff_to,
        **_state(request.user, document),
    }
    return render(request, "charts/document.html", context)


@requires("charts.view_documents")
@xframe_options_sameorigin  # the viewer embeds the file in an <object> on the same origin
@opens_records
def document_file_view(request: HttpRequest, version_id: int) -> HttpResponse:
    """The stored file of a version, served only after its SHA-256 matches; never sniffed by the browser."""
    try:
        version, content = access.access_document_file(request.user, version_id)
    except NotFound:
        raise  # answered 404 by opens_records, like any record the user may not open
    except ChartdeskError as problem:
        # The integrity failure is already in the audit log; the user is told plainly and gets no bytes.
        return render(request, "charts/file_problem.html", {"problem": problem.message}, status=409)
    response = HttpResponse(content, content_type=version.content_type)
    attachment = request.GET.get("download") == "1"
    disposition = content_disposition_header(attachment, version.file_name or "document")
    response["Content-Disposition"] = disposition or ("attachment" if attachment else "inline")
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _document_form(
    request: HttpRequest,
    document_id: int,
    *,
    form_class: type,
    page: dict[str, Any],
    run: Callable[[Document, dict[str, Any]], Any],
    done: str,
    initial: Callable[[Document], dict[str, Any]] | None = None,
) -> HttpResponse:
    """One change to a document: show the form, run the action on a valid POST, report refusals."""
    document = access.access_document_by_id(request.user, document_id)
    start = {"revision": document.revision, **(initial(document) if initial else {})}
    form = form_class(request.POST or None, request.FILES or None, initial=start)
    refused = None
    if request.method == "POST" and form.is_valid():
        try:
            run(document, form.cleaned_data)
        except ChartdeskError as refusal:
            refused = refusal
            add_refusal(form, refusal)
        else:
            messages.success(request, done)
            return redirect("charts-document", document_id=document.pk)
    current = document.current_version
    context = {"patient": document.patient, "document": document, "form": form, "current": current,
               "content_heading": f"Version {current.number}" if current else "", **page}
    return render(request, "charts/document_action.html", context, status=form_status(form, refused))


@requires("charts.write_note")
@opens_records
def document_edit_view(request: HttpRequest, document_id: int) -> HttpResponse:
    return _document_form(
        request, document_id, form_class=DraftForm,
        page={"heading": "Edit draft", "submit": "Save draft",
              "intro": "Saving keeps the earlier text as its own version."},
        initial=lambda document: {"text": document.current_version.text if document.current_version else ""},
        run=lambda document, data: actions.do_edit_draft(
            document, text=data["text"], acting_user=request.user, expected_revision=data["revision"]
        ),
        done="Saved the draft.",
    )


def _statement(user: Any) -> str:
    """The attestation a signature by `user` made now would carry ("" for a user who cannot sign)."""
    provider = actions.provider_of(user)
    if provider is None or not user.has_perm("charts.sign_document"):
        return ""
    return actions.attestation_statement(provider, timezone.now())


@requires("charts.sign_document")
@opens_records
def document_sign_view(request: HttpRequest, document_id: int) -> HttpResponse:
    statement = _statement(request.user)
    return _document_form(
        request, document_id, form_class=SignForm,
        page={"heading": "Sign document", "submit": "Sign", "show_text": True, "statement": statement,
              "intro": "Your signature freezes this version: later changes become corrections or addenda."},
        run=lambda document, data: actions.do_sign_document(
            document, acting_user=request.user, attestation=data["attestation"] or None,
            expected_revision=data["revision"],
        ),
        done="Signed.",
    )


@requires("charts.correct_document")
@opens_records
def document_correct_view(request: HttpRequest, document_id: int) -> HttpResponse:
    def correct(document: Document, data: dict[str, Any]) -> Any:
        current = document.current_version
        text = data["text"]
        # A file-only correction leaves the text field empty: that means "keep the text".
        unchanged_text = data["upload"] is not None and (not text.strip() or (current and text == current.text))
        return actions.do_correct_document(
            document, reason=data["reason"], acting_user=request.user, expected_revision=data["revision"],
            text=None if unchanged_text else text, upload=data["upload"], sign=bool(data["sign"]),
        )

    can_sign = request.user.has_perm("charts.sign_document") and actions.provider_of(request.user) is not None
    return _document_form(
        request, document_id, form_class=CorrectionForm,
        page={"heading": "Correct document", "submit": "Save correction", "hide_sign": not can_sign,
              "statement": _statement(request.user) if can_sign else "",
              "intro": "The correction becomes a new version with your reason; every earlier version stays readable."},
        initial=lambda document: {
            "text": document.current_version.text if document.current_version else "", "sign": can_sign,
        },
        run=correct,
        done="Saved the correction as a new version.",
    )


@requires("charts.add_addendum")
@opens_records
def document_addendum_view(request: HttpRequest, document_id: int) -> HttpResponse:
    return _document_form(
        request, document_id, form_class=AddendumForm,
        page={"heading": "Add an addendum", "submit": "Add addendum", "show_text": True,
              "statement": _statement(request.user),
              "intro": "An addendum is added below the signed document, which stays as it is."},
        initial=lambda document: {"sign": True},
        run=lambda document, data: actions.do_add_addendum(
            document, text=data["text"], acting_user=request.user, sign=bool(data["sign"]),
            expected_revision=data["revision"],
        ),
        done="Added the addendum.",
    )


@requires("charts.retract_document")
@opens_records
def document_retract_view(request: HttpRequest, document_id: int) -> HttpResponse:
    return _document_form(
        request, document_id, form_class=RetractForm,
        page={"heading": "Mark entered in error", "submit": "Mark entered in error", "danger": True,
              "intro": "The document stays in the record, struck out with your reason; only authorised roles "
                       "still see it."},
        run=lambda document, data: actions.do_retract_document(
            document, reason=data["reason"], acting_user=request.user, expected_revision=data["revision"]
        ),
        done="Marked the document entered in error.",
    )


@requires("charts.sign_document")
@opens_records
def addendum_sign_view(request: HttpRequest, addendum_id: int) -> HttpResponse:
    """Sign an addendum on the signing screen: its text in full and the attestation, then the
    confirmation; a POST without the confirmation signs nothing."""
    addendum = access.access_addendum_by_id(request.user, addendum_id)
    document = addendum.document
    form = SignForm(request.POST or None, initial={"revision": document.revision})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                actions.do_sign_addendum(addendum, acting_user=request.user,
                                         expected_revision=form.cleaned_data["revision"],
                                         attestation=form.cleaned_data["attestation"] or None)
            except ChartdeskError as refusal:
                add_refusal(form, refusal)
                status = form_status(form, refusal)
            else:
                messages.success(request, "Signed the addendum.")
                return redirect("charts-document", document_id=addendum.document_id)
    context = {"patient": document.patient, "document": document, "form": form, "current": None,
               "heading": "Sign addendum", "submit": "Sign", "statement": _statement(request.user),
               "sign_text": addendum.text, "sign_heading": f"Addendum of {addendum.created_at:%m/%d/%Y %H:%M}",
               "intro": "Your signature freezes this addendum."}
    return render(request, "charts/document_action.html", context, status=status)
