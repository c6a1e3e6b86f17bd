"""On a fresh demo database, create-claims then export-837 gives a real, valid 837P batch."""

from __future__ import annotations

import pytest
from django.utils import timezone

from chartdesk.billing.actions import do_create_claims
from chartdesk.billing.export import do_export_837
from chartdesk.billing.models import BillingOrganisation, Charge, Coverage, Payer
from chartdesk.billing.x12.reader837 import read_837
from chartdesk.billing.x12.validate import pyx12_validate

pytestmark = pytest.mark.django_db


def test_the_demo_data_bills_recent_visits_into_a_valid_batch():
    from django.contrib.auth import get_user_model

    from chartdesk.core.demo.load import load_demo
    from chartdesk.core.demo.plan import plan_demo

    plan = plan_demo(patients=40, seed=3, today=timezone.localdate(), zone=timezone.get_current_timezone())
    load_demo(plan, password="demo-password-for-tests")
    assert BillingOrganisation.objects.get().npi == "1234567893"
    assert Payer.objects.count() == 3
    assert Charge.objects.exists()
    assert Coverage.objects.exists()
    billing = get_user_model().objects.get(username="billing")
    run = do_create_claims(acting_user=billing)
    assert run.created
    assert all(claim.status == "ready" for claim in run.created), [
        list(claim.findings.values_list("message", flat=True)) for claim in run.created
    ]
    batch = do_export_837(acting_user=billing)
    assert pyx12_validate(batch.content).errors == []
    assert len(read_837(batch.content).claims) == len(run.created)
