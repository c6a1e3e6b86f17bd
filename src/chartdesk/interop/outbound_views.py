"""Desk pages of outbound ADT: the dead letters (messages no destination took) and their resend.
Views stay thin: the list and the resend are hl7v2.outbound's."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chartdesk.core.errors import ChartdeskError
from chartdesk.core.listing import Column, list_page
from chartdesk.core.permissions import requires
from chartdesk.interop.hl7v2.outbound import WORK_QUEUE, dead_letters, do_resend_outbound

COLUMNS = (
    Column("given_up", "Given up", ("dead_at",)),
    Column("event", "Event", ("event",)),
    Column("destination", "Destination", ("destination__name",)),
    Column("control", "Control id", ("control_id",)),
    Column("tries", "Tries", ("attempts",), numeric=True),
)


@requires(WORK_QUEUE)
def hl7_dead_letters_view(request: HttpRequest) -> HttpResponse:
    """Outbound messages that were not delivered, newest first: where to, why, how many tries."""
    listing = list_page(request, dead_letters(request.user), COLUMNS, default_sort="-given_up")
    return render(request, "interop/hl7_dead_letters.html", {"listing": listing})


@requires(WORK_QUEUE)
@require_POST
def hl7_resend_view(request: HttpRequest, outbound_id: int) -> HttpResponse:
    try:
        row = do_resend_outbound(outbound_id, acting_user=request.user)
    except ChartdeskError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"Message {row.control_id} is back in the outbox: the sender delivers it on "
                                  "its next pass.")
    return redirect("interop-hl7-dead-letters")
