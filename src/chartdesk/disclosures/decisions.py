"""What the release-of-information specialist decides on a request and records on it: the standard
reasons a denial names, the sensitive categories held back from the release, and the fee quoted.

Why recorded and not only computed: the desk computes what it can (the authorization's problems, each
document in or out, the invoice at release), but the specialist answers for the decision. The denial
letter names the reasons the specialist chose, categories the specialist holds back stay out of the
packet even when the rules would let them go (minimum necessary, 164.502(b)), and the quote is what
the requester was told before paying. Training grades a release-of-information exercise from these
fields (training/kinds/roi_desk.py).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.locking import lock_row
from chartdesk.core.permissions import require_permission
from chartdesk.disclosures import authorizations as rules
from chartdesk.disclosures.actions import WORK, audit, do_deny_request, require_chart
from chartdesk.disclosures.fees import FeeQuote, quote_fee
from chartdesk.disclosures.models import ReleaseRequest, SensitiveCategory

# The standard reasons a denial may name, by code: each 164.508 defect the authorization check finds,
# and an authorization that does not cover the request (matching.py). Codes are what the request keeps;
# the words are the denial letter's.
DENIAL_REASONS: dict[str, str] = {
    "no_authorization": "No authorization: this request needs the patient's authorization (164.508(a)(1)).",
    **rules.MISSING_ELEMENTS,
    "expired": "It has expired (164.508(b)(2)(i)).",
    "revoked": "The patient revoked it (164.508(b)(2)(iv)).",
    "dated_in_future": "It is dated after today (164.508(c)(1)(vi)).",
    "recipient_mismatch": "It names another recipient than the requester (164.508(c)(1)(iii)).",
    "purpose_mismatch": "It covers other purposes than this request's (164.508(c)(1)(iv)).",
    "purpose_not_recorded": "Its purposes are not recorded, so it cannot be shown to cover this request.",
}

UNKNOWN_REASON = "Unknown denial reason: {codes}. Choose the reasons from the list."
NO_REASON = "Give the reason for the denial: tick a standard reason or write one."
UNKNOWN_CATEGORY = "Unknown sensitive category: {codes}. Choose the categories from the list."
PAGES = "Give the number of pages to release, a whole number from 1 to 100000."
NOT_OPEN = "This request is {status}; {action} is not possible now."
MAX_PAGES = 100_000


def _locked(request: ReleaseRequest) -> ReleaseRequest:
    # As every step of a request: the row lock keeps two specialists from recording at once.
    return lock_row(request, "patient", only_self=True)


def _open(request: ReleaseRequest, action: str) -> None:
    if not request.is_open:
        raise ChartdeskError(NOT_OPEN.format(status=request.get_status_display().lower(), action=action))


def do_deny_with_reasons(request: ReleaseRequest, *, reasons: list[str], note: str, acting_user: Any
                         ) -> ReleaseRequest:
    """Deny the request naming the standard reasons chosen (codes of DENIAL_REASONS) and any words of
    the specialist's own; the status note the requester is told holds both."""
    unknown = sorted(set(reasons) - set(DENIAL_REASONS))
    if unknown:
        raise ChartdeskError(UNKNOWN_REASON.format(codes=", ".join(unknown)), field="reasons")
    chosen = [code for code in DENIAL_REASONS if code in set(reasons)]
    text = " ".join([DENIAL_REASONS[code] for code in chosen] + [(note or "").strip()]).strip()
    if not text:
        raise ChartdeskError(NO_REASON, field="reasons")
    with transaction.atomic():
        denied = do_deny_request(request, reason=text, acting_user=acting_user)
        denied.denial_reasons = chosen
        denied.save(update_fields=["denial_reasons"])
    return denied


def do_set_withheld_categories(request: ReleaseRequest, *, categories: list[str], acting_user: Any
                               ) -> ReleaseRequest:
    """Hold the chosen sensitive categories back from this release (documents labelled with one stay out)."""
    require_permission(acting_user, WORK, "work release-of-information requests")
    require_chart(acting_user, request.patient)
    unknown = sorted(set(categories) - set(SensitiveCategory.values))
    if unknown:
        raise ChartdeskError(UNKNOWN_CATEGORY.format(codes=", ".join(unknown)), field="categories")
    chosen = [value for value in SensitiveCategory.values if value in set(categories)]
    with transaction.atomic():
        locked = _locked(request)
        _open(locked, "changing what is withheld")
        previous = list(locked.withheld_categories)
        locked.withheld_categories = chosen
        locked.save(update_fields=["withheld_categories"])
        audit(AuditAction.UPDATE, acting_user, locked.patient, "release_request", locked.pk, number=locked.number,
              withheld_from=previous, withheld_to=chosen)
    return locked


def parse_pages(text: Any) -> int:
    try:
        pages = int(str(text).strip())
    except ValueError:
        raise ChartdeskError(PAGES, field="pages") from None
    if not 1 <= pages <= MAX_PAGES:
        raise ChartdeskError(PAGES, field="pages")
    return pages


def do_quote_fee(request: ReleaseRequest, *, pages: int, acting_user: Any) -> FeeQuote:
    """Quote the fee for `pages` pages with the facility's schedule (fees.quote_fee) and record it."""
    require_permission(acting_user, WORK, "work release-of-information requests")
    require_chart(acting_user, request.patient)
    if not 1 <= pages <= MAX_PAGES:
        raise ChartdeskError(PAGES, field="pages")
    with transaction.atomic():
        locked = _locked(request)
        _open(locked, "quoting the fee")
        quote = quote_fee(locked, pages)
        locked.quoted_pages, locked.quoted_fee_cents = pages, quote.total_cents
        locked.save(update_fields=["quoted_pages", "quoted_fee_cents"])
        audit(AuditAction.UPDATE, acting_user, locked.patient, "release_request", locked.pk, number=locked.number,
              quoted_pages=pages, quoted_fee_cents=quote.total_cents, fee_method=quote.method)
    return quote
