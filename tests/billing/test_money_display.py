"""Money is written one way on every page: "$1,246.50" (core/templatetags/desk.py `money`)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chartdesk.billing.actions import do_set_fee
from chartdesk.billing.models import Claim
from chartdesk.core.templatetags.desk import money
from chartdesk.disclosures.fees import dollars

pytestmark = pytest.mark.django_db


@pytest.fixture
def dear_visit_fee(fees, billing_user):
    do_set_fee("99213", "1234.50", modifier="25", acting_user=billing_user)


def test_the_money_filter_writes_dollars_with_separators_and_cents():
    assert money(Decimal("1246.5")) == "$1,246.50"
    assert money(Decimal("-12")) == "-$12.00"
    assert money(0) == "$0.00"
    assert money(None) == ""
    assert dollars(123456) == "$1,234.56"


def test_claim_and_account_pages_show_amounts_as_money(client_for, billing_user, dear_visit_fee, charged_visit):
    desk = client_for(billing_user)
    desk.post(f"/billing/encounter/{charged_visit.pk}/claim/")
    claim = Claim.objects.get()
    assert claim.total_charge == Decimal("1246.50")
    page = desk.get(f"/billing/claim/{claim.pk}/").content.decode()
    assert "<dd>$1,246.50</dd>" in page
    assert "$12.00" in page
    assert "1246.50" not in page
    charges = desk.get(f"/billing/encounter/{charged_visit.pk}/charges/").content.decode()
    assert "$1,234.50" in charges and "1234.50" not in charges
