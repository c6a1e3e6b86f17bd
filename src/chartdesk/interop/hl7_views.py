"""Desk pages of the HL7 v2 error queue: the failed messages, one message with its segments as a
table (the field named in the error highlighted), its revisions and attempts, and the two decisions.
Views stay thin: reads are hl7v2.queue's access functions, decisions its actions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.listing import Column, list_page
from chartdesk.core.permissions import requires
from chartdesk.interop.forms import Hl7IgnoreForm, Hl7QueueFilterForm, Hl7ReprocessForm
from chartdesk.interop.hl7v2.queue import (
    WORK_QUEUE,
    QueueFilters,
    access_hl7_message_by_id,
    attempts_of,
    do_ignore_hl7_message,
    do_reprocess_hl7_message,
    failed_messages,
    queue_rows,
)
from chartdesk.interop.models import FAILED_STATUSES, Hl7Message, Hl7QueueDecision
from chartdesk.patients.view_guards import opens_records

QUEUE_COLUMNS = (
    Column("received", "Received", ("received_at",)),
    Column("event", "Event", ("message_type",)),
    Column("facility", "Sending facility", ("sending_facility",)),
    Column("control", "Control id", ("control_id",)),
    Column("answer", "Answer", ("ack_code",)),
    Column("field", "Error field", ("error_location",)),
)


@dataclass
class FieldRow:
    segment: str
    sequence: int
    field_number: int
    value: str
    at_fault: bool


def field_rows(text: str, error_location: str) -> list[FieldRow]:
    """Every non-empty field of every segment, numbered as HL7 numbers them (MSH-1 is the field
    separator). Split by hand rather than parsed, so that a message the parser refused (AR) still
    shows; the field named in the error is listed even when it is empty (a missing required field)."""
    segment_at_fault, sequence_at_fault, field_at_fault = _location(error_location)
    rows: list[FieldRow] = []
    seen: dict[str, int] = {}
    for line in re.split(r"\r\n|\r|\n", text):
        if len(line) < 3:
            continue
        name = line[:3]
        seen[name] = sequence = seen.get(name, 0) + 1
        if name == "MSH" and len(line) > 3:
            separator = line[3]
            fields = [name, separator, *line[4:].split(separator)]
        else:
            fields = line.split("|")
        this_segment = name == segment_at_fault and sequence == sequence_at_fault
        if this_segment and field_at_fault >= len(fields):
            fields += [""] * (field_at_fault + 1 - len(fields))
        for number, value in enumerate(fields[1:], start=1):
            at_fault = this_segment and (number == field_at_fault or field_at_fault == 0)
            if value or (this_segment and number == field_at_fault):
                rows.append(FieldRow(name, sequence, number, value, at_fault))
    return rows


def _location(error_location: str) -> tuple[str, int, int]:
    parts = error_location.split("^")
    try:
        return parts[0], int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 0
    except ValueError:
        return "", 0, 0


def _filters(form: Hl7QueueFilterForm) -> QueueFilters:
    data = form.cleaned_data
    return QueueFilters(event=data["event"], facility=data["facility"], error_field=data["error_field"],
                        received_from=data["received_from"], received_to=data["received_to"])


@requires(WORK_QUEUE)
def hl7_queue_view(request: HttpRequest) -> HttpResponse:
    """Failed messages (AE/AR) still waiting for a decision, newest first, filtered and paged."""
    form = Hl7QueueFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "interop/hl7_queue.html", {"form": form, "listing": None}, status=400)
    listing = list_page(request, failed_messages(request.user, _filters(form)), QUEUE_COLUMNS,
                        default_sort="-received")
    return render(request, "interop/hl7_queue.html", {
        "form": form, "listing": listing, "rows": queue_rows(request.user, listing.rows),
        "filtered": any(form.cleaned_data.values()),
    })


def _message_page(request: HttpRequest, message: Hl7Message, *, reprocess_form: Hl7ReprocessForm | None = None,
                  ignore_form: Hl7IgnoreForm | None = None, refusal: str = "", status: int = 200) -> HttpResponse:
    revisions = list(message.revisions.select_related("edited_by"))
    latest_text = revisions[-1].raw if revisions else message.raw
    decision = Hl7QueueDecision.objects.filter(message=message).select_related("decided_by").first()
    in_queue = (decision is None and message.status in FAILED_STATUSES
                and not Hl7Message.objects.filter(attempt_of__isnull=False, pk=message.pk).exists())
    editable = "\n".join(line for line in re.split(r"\r\n|\r|\n", latest_text) if line)
    return render(request, "interop/hl7_message.html", {
        "hl7": message,
        "rows": field_rows(message.raw, message.error_location),
        "revisions": revisions,
        "attempts": attempts_of(message),
        "decision": decision,
        "in_queue": in_queue,
        "reprocess_form": reprocess_form or Hl7ReprocessForm(initial={"text": editable}),
        "ignore_form": ignore_form or Hl7IgnoreForm(),
        "refusal": refusal,
    }, status=status)


@requires(WORK_QUEUE)
@opens_records
def hl7_message_view(request: HttpRequest, hl7_message_id: int) -> HttpResponse:
    return _message_page(request, access_hl7_message_by_id(request.user, hl7_message_id))


@requires(WORK_QUEUE)
@require_POST
@opens_records
def hl7_reprocess_view(request: HttpRequest, hl7_message_id: int) -> HttpResponse:
    message = access_hl7_message_by_id(request.user, hl7_message_id)
    form = Hl7ReprocessForm(request.POST)
    form.is_valid()
    text = form.cleaned_data.get("text") if "text" in request.POST else None
    try:
        attempt = do_reprocess_hl7_message(message, text=text, acting_user=request.user)
    except NotFound:
        raise  # an edit naming a chart the user may not open: break-the-glass or 404, as for the page
    except ChartdeskError as refusal:
        return _message_page(request, message, reprocess_form=form, refusal=refusal.message, status=400)
    result = attempt.result
    if result.ack_code == "AA":
        messages.success(request, f"Reprocessed: {result.ack_text}. The message has left the queue.")
    else:
        messages.error(request, f"Refused again ({result.ack_code}"
                                f"{', ' + result.error_location if result.error_location else ''}): {result.ack_text}")
    return redirect("interop-hl7-message", hl7_message_id=message.pk)


@requires(WORK_QUEUE)
@require_POST
@opens_records
def hl7_ignore_view(request: HttpRequest, hl7_message_id: int) -> HttpResponse:
    message = access_hl7_message_by_id(request.user, hl7_message_id)
    form = Hl7IgnoreForm(request.POST)
    try:
        if not form.is_valid():
            raise ChartdeskError("Say why this message is ignored.", field="reason")
        do_ignore_hl7_message(message, reason=form.cleaned_data["reason"], acting_user=request.user)
    except ChartdeskError as refusal:
        return _message_page(request, message, ignore_form=form, refusal=refusal.message, status=400)
    messages.success(request, "The message is marked as ignored and has left the queue.")
    return redirect("interop-hl7-queue")
