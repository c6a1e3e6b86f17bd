"""What a release costs, as a pure function of the request, its page count and the fee schedule.

The schedule is configurable (settings.DISCLOSURE_FEES overrides any of DEFAULT_FEES). A patient's
own request (right of access, 164.524(c)(4)) may be charged only a reasonable cost-based fee (labour
for copying, supplies, postage) or a flat fee for electronic copies; third parties pay per page under
state law; copies for treatment are free.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from chartdesk.core.templatetags.desk import money
from chartdesk.disclosures.authorizations import is_right_of_access
from chartdesk.disclosures.models import DeliveryFormat, Purpose

DEFAULT_FEES: dict[str, Any] = {
    "patient_method": "cost_based",  # or "flat"
    "patient_flat_cents": 650,  # HHS's flat fee for electronic copies
    "labor_cents_per_page": 5,
    "supplies_cents_per_page": 10,  # paper and toner, paper copies only
    "postage_cents": 150,  # paper or PDF on disc mailed
    "third_party_base_cents": 1500,
    "third_party_cents_per_page": 50,
}


@dataclass(frozen=True)
class FeeQuote:
    method: str
    lines: list[tuple[str, int]]

    @property
    def total_cents(self) -> int:
        return sum(cents for _, cents in self.lines)


def fee_schedule() -> dict[str, Any]:
    return {**DEFAULT_FEES, **getattr(settings, "DISCLOSURE_FEES", {})}


def dollars(cents: int) -> str:
    """Cents as the desk writes money everywhere ("$1,234.50")."""
    return money(Decimal(cents) / 100)


def quote_fee(request: Any, page_count: int, schedule: dict[str, Any] | None = None) -> FeeQuote:
    """The fee for releasing `page_count` pages under `request`."""
    fees = schedule or fee_schedule()
    mailed = request.delivery_format in (DeliveryFormat.PAPER, DeliveryFormat.PDF)
    if request.purpose == Purpose.TREATMENT:
        return FeeQuote("none", [("Copies for continuing care: no charge", 0)])
    if is_right_of_access(request):
        if fees["patient_method"] == "flat" and request.delivery_format == DeliveryFormat.ELECTRONIC:
            return FeeQuote("flat", [("Flat fee for an electronic copy", fees["patient_flat_cents"])])
        lines = [(f"Labour to copy {page_count} pages", fees["labor_cents_per_page"] * page_count)]
        if request.delivery_format == DeliveryFormat.PAPER:
            lines.append((f"Paper and toner for {page_count} pages", fees["supplies_cents_per_page"] * page_count))
        if mailed:
            lines.append(("Postage", fees["postage_cents"]))
        return FeeQuote("cost_based", lines)
    lines = [
        ("Search and handling", fees["third_party_base_cents"]),
        (f"{page_count} pages", fees["third_party_cents_per_page"] * page_count),
    ]
    if mailed:
        lines.append(("Postage", fees["postage_cents"]))
    return FeeQuote("per_page", lines)
