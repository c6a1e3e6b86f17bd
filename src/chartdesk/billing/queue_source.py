"""Billing's facts for the coding queue: the payer of an encounter's patient and its charges.

Registered from BillingConfig.ready, so the coding queue reads them without importing billing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Subquery, Sum

from chartdesk.billing.models import Charge, ChargeStatus, Coverage, CoverageRank, Payer


def _payer() -> Any:
    # Primary before secondary: "primary" sorts first, and one active coverage per rank is enforced.
    return Subquery(
        Coverage.objects.filter(patient=OuterRef("patient_id"), active=True,
                                rank__in=(CoverageRank.PRIMARY, CoverageRank.SECONDARY))
        .order_by("rank").values("payer__name")[:1]
    )


def _charges() -> Any:
    return Subquery(
        Charge.objects.filter(encounter=OuterRef("pk"), status=ChargeStatus.ACTIVE)
        .values("encounter").annotate(total=Sum("amount")).values("total")[:1]
    )


def _payers() -> list[str]:
    return list(Payer.objects.filter(active=True).order_by("name").values_list("name", flat=True))


def register() -> None:
    from chartdesk.coding.workflow.queue import BillingSource, register_billing_source

    register_billing_source(BillingSource(payer=_payer, charges=_charges, payers=_payers))
