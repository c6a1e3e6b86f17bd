"""The release-of-information desk: the queue with its clocks, logging a request, working it to release.

Views stay thin: reads through disclosures.access (audited), writes through the actions. A request's
steps (verify identity, attach an authorization, process, quality check, release...) post to one
view that names the step in its URL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.access import access_document_by_id
from chartdesk.charts.models import Encounter
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.listing import Column, list_page
from chartdesk.core.permissions import public, requires
from chartdesk.core.refusals import add_refusal, form_status
from chartdesk.disclosures import access, actions, decisions
from chartdesk.disclosures.accounting import disclosure_confirmation
from chartdesk.disclosures.authorizations import authorization_problems, needs_authorization
from chartdesk.disclosures.fees import dollars, quote_fee
from chartdesk.disclosures.forms import AuthorizationForm, LabelForm, LinkForm, NoteForm, RedactionForm, RequestForm
from chartdesk.disclosures.matching import candidate_mismatches, release_blockers
from chartdesk.disclosures.models import Authorization, RequestStatus, SensitiveCategory, category_words
from chartdesk.disclosures.selection import decide_documents, minimum_necessary_applies
from chartdesk.patients.models import Patient
from chartdesk.patients.view_guards import opens_records, refuse_retired_chart

WORK = "disclosures.work_requests"


QUEUE_COLUMNS = (
    Column("request", "Request", ("request__number",)),
    Column("patient", "Patient", ("request__patient__family_name", "request__patient__given_name")),
    Column("requester", "Requester", ("request__requester_name",)),
    Column("purpose", "Purpose", ("request__purpose",)),
    Column("status", "Status", ("request__status",)),
    Column("received", "Received", ("request__received_on",)),
    Column("due", "Due", ("request__due_on",)),
    Column("clock", "Clock", ("clock__days_left",)),
)


@requires(WORK)
def queue_view(request: HttpRequest) -> HttpResponse:
    """Open requests, soonest due first, each with its clock."""
    status = request.GET.get("status", "")
    if status not in RequestStatus.values:
        status = ""
    listing = list_page(request, access.roi_queue(request.user, status=status), QUEUE_COLUMNS, default_sort="due",
                        tie_breaker="request__pk")
    return render(request, "disclosures/queue.html", {"rows": listing.rows, "listing": listing, "status": status,
                                                      "statuses": RequestStatus.choices})


def _patient_by_mrn(user: Any, mrn: str) -> Patient:
    patient_id = Patient.objects.filter(mrn=mrn.strip()).values_list("pk", flat=True).first()
    if patient_id is None:
        raise NotFound("patient")
    return access.access_patient_for_disclosures(user, patient_id, WORK)


@requires(WORK)
@opens_records
def request_new_view(request: HttpRequest) -> HttpResponse:
    from django.utils import timezone

    form = RequestForm(request.POST or None, initial={"received_on": timezone.localdate(),
                                                      "patient_mrn": request.GET.get("mrn", "")})
    refused = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patient = _patient_by_mrn(request.user, data["patient_mrn"])
            numbers = form.account_numbers()
            encounters = list(Encounter.objects.filter(patient=patient, account_number__in=numbers))
            missing = sorted(set(numbers) - {encounter.account_number for encounter in encounters})
            if missing:
                raise ChartdeskError(f"No encounter {', '.join(missing)} in this chart.", field="encounters")
            created = actions.do_log_request(
                patient, requester_type=data["requester_type"], requester_name=data["requester_name"],
                requester_address=data["requester_address"], requester_email=data["requester_email"],
                purpose=data["purpose"], purpose_detail=data["purpose_detail"], received_on=data["received_on"],
                date_from=data["date_from"], date_to=data["date_to"], document_types=data["document_types"],
                encounters=encounters, delivery_format=data["delivery_format"], acting_user=request.user,
            )
        except NotFound:
            refused = ChartdeskError("No patient with this MRN.", field="patient_mrn")
            add_refusal(form, refused)
        except ChartdeskError as refusal:
            refused = refusal
            add_refusal(form, refusal)
        else:
            messages.success(request, f"Logged {created.number}, due {created.due_on:%Y-%m-%d}.")
            return redirect("disclosures-request", request_id=created.pk)
    return render(request, "disclosures/request_form.html", {"form": form}, status=form_status(form, refused))


def _request_page(http_request: HttpRequest, release_request: Any, **forms: Any) -> dict[str, Any]:
    from django.utils import timezone

    from chartdesk.disclosures.deadlines import clock

    user = http_request.user
    today = timezone.localdate()
    selection = decide_documents(release_request)
    authorizations = list(Authorization.objects.filter(patient=release_request.patient).order_by("-created_at"))
    packets = list(release_request.packets.all())
    invoice = getattr(release_request, "invoice", None)
    return {
        "release_request": release_request,
        "patient": release_request.patient,
        "clock": clock(release_request.due_on, today) if release_request.due_on else None,
        "needs_authorization": needs_authorization(release_request),
        "blockers": release_blockers(release_request, today, selection.included),
        # Each of the patient's authorizations with its own problems and what does not match this request;
        # only one that matches is offered to attach.
        "authorizations": [(authorization, authorization_problems(authorization, today),
                            candidate_mismatches(release_request, authorization))
                           for authorization in authorizations],
        "selection": selection,
        "minimum_necessary": minimum_necessary_applies(release_request),
        "redactions": list(release_request.redactions.select_related("document")),
        "packets": packets,
        "invoice": invoice,
        "invoice_lines": [(text, dollars(cents)) for text, cents in invoice.lines] if invoice else [],
        "invoice_total": dollars(invoice.total_cents) if invoice else "",
        "can_release": user.has_perm("disclosures.release_records"),
        "can_label": user.has_perm("disclosures.label_sensitivity"),
        "note_form": forms.get("note_form") or NoteForm(),
        "redaction_form": forms.get("redaction_form") or RedactionForm(),
        "sensitivity_choices": SensitiveCategory.choices,
        "link_form": LinkForm(),
        "new_link": forms.get("new_link"),
        **_decision_context(release_request),
    }


def _decision_context(release_request: Any) -> dict[str, Any]:
    """The specialist's recorded decisions (decisions.py): denial reasons to tick, what is withheld, the quote."""
    quote = (quote_fee(release_request, release_request.quoted_pages) if release_request.quoted_pages else None)
    return {
        "denial_reason_choices": list(decisions.DENIAL_REASONS.items()),
        "denial_reason_words": [decisions.DENIAL_REASONS[code] for code in release_request.denial_reasons
                                if code in decisions.DENIAL_REASONS],
        "quote_lines": [(text, dollars(cents)) for text, cents in quote.lines] if quote else [],
        "quoted_total": dollars(release_request.quoted_fee_cents) if release_request.quoted_fee_cents is not None
        else "",
    }


@requires(WORK)
@opens_records
def request_view(request: HttpRequest, request_id: int) -> HttpResponse:
    """One request: requester, scope, clock, authorization check, each document in or out and why."""
    release_request = access.access_request_by_id(request.user, request_id)
    return render(request, "disclosures/request.html", _request_page(request, release_request))


def _note(request: HttpRequest) -> str:
    return request.POST.get("text", "")


def _verify(http: HttpRequest, release: Any) -> str:
    actions.do_verify_identity(release, method=_note(http), acting_user=http.user)
    return "Identity verified."


def _process(http: HttpRequest, release: Any) -> str:
    return actions.do_start_processing(release, acting_user=http.user).get_status_display() + "."


def _quality_check(http: HttpRequest, release: Any) -> str:
    actions.do_send_to_quality_check(release, acting_user=http.user)
    return "Sent to quality check."


def _send_back(http: HttpRequest, release: Any) -> str:
    actions.do_return_to_processing(release, note=_note(http), acting_user=http.user)
    return "Sent back to processing."


def _deny(http: HttpRequest, release: Any) -> str:
    decisions.do_deny_with_reasons(release, reasons=http.POST.getlist("reasons"), note=_note(http),
                                   acting_user=http.user)
    return "Request denied."


def _withhold(http: HttpRequest, release: Any) -> str:
    held = decisions.do_set_withheld_categories(release, categories=http.POST.getlist("categories"),
                                                acting_user=http.user)
    return f"Withheld from this release: {category_words(held.withheld_categories) or 'nothing'}."


def _quote(http: HttpRequest, release: Any) -> str:
    quote = decisions.do_quote_fee(release, pages=decisions.parse_pages(http.POST.get("pages", "")),
                                   acting_user=http.user)
    return f"Fee quoted: {dollars(quote.total_cents)}."


def _extend(http: HttpRequest, release: Any) -> str:
    extended = actions.do_extend_request(release, notice=_note(http), acting_user=http.user)
    return f"Extended to {extended.due_on:%Y-%m-%d}."


def _close(http: HttpRequest, release: Any) -> str:
    actions.do_close_request(release, acting_user=http.user)
    return "Closed."


def _release(http: HttpRequest, release: Any) -> str:
    packet = actions.do_release_request(release, acting_user=http.user)
    return f"Released: {packet.page_count} pages. " + disclosure_confirmation(packet.request.disclosures.get())


def _attach(http: HttpRequest, release: Any) -> str:
    authorization = access.access_authorization_by_id(http.user, http.POST.get("authorization"))
    actions.do_attach_authorization(release, authorization, acting_user=http.user)
    return "Authorization attached."


def _redact(http: HttpRequest, release: Any) -> str:
    form = RedactionForm(http.POST)
    if not form.is_valid():
        raise ChartdeskError("Give the reason, and the phrase or the pages, of the redaction.", field="reason")
    document = access_document_by_id(http.user, form.cleaned_data["document"])
    actions.do_add_redaction(release, document, phrase=form.cleaned_data["phrase"], pages=form.cleaned_data["pages"],
                             reason=form.cleaned_data["reason"], acting_user=http.user)
    return "Redaction added."


def _label(http: HttpRequest, release: Any) -> str:
    form = LabelForm(http.POST)
    if not form.is_valid():
        raise ChartdeskError("Choose the sensitivity from the list.", field="categories")
    document = access_document_by_id(http.user, form.cleaned_data["document"])
    if document.patient_id != release.patient_id:
        raise NotFound("document")
    labels = actions.do_set_sensitivity(document, categories=form.cleaned_data["categories"], acting_user=http.user)
    return f"{document.title}: sensitivity {category_words(labels) or 'none'}."


STEPS: dict[str, Callable[[HttpRequest, Any], str]] = {
    "verify": _verify, "process": _process, "quality-check": _quality_check, "return": _send_back, "deny": _deny,
    "extend": _extend, "close": _close, "release": _release, "attach": _attach, "redact": _redact, "label": _label,
    "withhold": _withhold, "quote": _quote,
}


@requires(WORK)
@require_POST
@opens_records
def request_step_view(request: HttpRequest, request_id: int, step: str) -> HttpResponse:
    """Move a request one step; a refusal is shown on the request page with its reasons."""
    release_request = access.access_request_by_id(request.user, request_id)
    handler = STEPS.get(step)
    if handler is None:
        raise NotFound("step")
    try:
        done = handler(request, release_request)
    except actions.ReleaseBlocked as blocked:
        for problem in blocked.problems:
            messages.error(request, problem)
    except ChartdeskError as refusal:
        if isinstance(refusal, NotFound):
            raise
        messages.error(request, refusal.message)
    else:
        messages.success(request, done)
    return redirect("disclosures-request", request_id=release_request.pk)


@requires("disclosures.release_records")
@require_POST
@opens_records
def packet_link_view(request: HttpRequest, packet_id: int) -> HttpResponse:
    packet = access.access_packet_by_id(request.user, packet_id)
    form = LinkForm(request.POST)
    hours = form.cleaned_data["hours"] if form.is_valid() else 0
    try:
        token = actions.do_create_download_link(packet, acting_user=request.user, hours=hours)
    except ChartdeskError as refusal:
        messages.error(request, refusal.message)
        return redirect("disclosures-request", request_id=packet.request_id)
    link = request.build_absolute_uri(reverse("disclosures-download", kwargs={"token": token}))
    context = _request_page(request, packet.request, new_link=link)
    return render(request, "disclosures/request.html", context)


@requires(WORK)
@opens_records
def packet_file_view(request: HttpRequest, packet_id: int) -> HttpResponse:
    """The stored packet, for the specialist (printing, mailing); the download is audited."""
    from django.core.files.storage import default_storage

    packet = access.access_packet_by_id(request.user, packet_id)
    record_event(AuditAction.DOWNLOAD, user=request.user, patient=packet.request.patient,
                 object_type="release_packet", object_id=packet.pk, detail={"sha256": packet.sha256})
    with default_storage.open(packet.file.name, "rb") as stored:
        response = HttpResponse(stored.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{packet.request.number}.pdf"'
    return response


@public
def download_view(request: HttpRequest, token: str) -> HttpResponse:
    """The recipient's download link: no log-in, a signed token that expires; every use is logged."""
    try:
        packet, content = actions.do_use_download_link(token, client_address=request.META.get("REMOTE_ADDR", ""))
    except NotFound:
        return render(request, "core/not_found.html", status=404)
    except ChartdeskError as refusal:
        return render(request, "disclosures/link_refused.html", {"message": refusal.message}, status=410)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{packet.request.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@requires(WORK)
@opens_records
def authorization_new_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Record a received authorization (scan and elements); with ?request= it is attached to that request."""
    patient = access.access_patient_for_disclosures(request.user, patient_id, WORK)
    if retired := refuse_retired_chart(request, patient, actions.PATIENT_MERGED):
        return retired
    release_request = None
    if request.GET.get("request"):
        release_request = access.access_request_by_id(request.user, request.GET["request"])
        if release_request.patient_id != patient.pk:
            raise NotFound("request")
    form = AuthorizationForm(request.POST or None, request.FILES or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        scanned = data.pop("scanned_form")
        categories = data.pop("sensitive_categories")
        try:
            authorization = actions.do_record_authorization(patient, acting_user=request.user, scanned_form=scanned,
                                                            sensitive_categories=categories, **data)
        except ChartdeskError as refusal:
            refused = refusal
            add_refusal(form, ChartdeskError(refusal.message, field="scanned_form" if refusal.field == "upload"
                                             else refusal.field))
        else:
            messages.success(request, "Authorization recorded.")
            if release_request is None:
                return redirect("disclosures-queue")
            # The form is recorded as the patient sent it; one that does not cover the request stays unattached.
            try:
                actions.do_attach_authorization(release_request, authorization, acting_user=request.user)
            except ChartdeskError as refusal:
                messages.error(request, refusal.message)
            return redirect("disclosures-request", request_id=release_request.pk)
    return render(request, "disclosures/authorization_form.html",
                  {"form": form, "patient": patient, "release_request": release_request},
                  status=form_status(form, refused))
