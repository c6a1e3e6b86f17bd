"""Timely filing: a payer's limit is data with the date it took effect, a claim is held to the limit in effect on
its date of service, the claim page warns before the deadline and the scrubber refuses a claim past it, the
work list shows the claims nearing it, and only billing set-up adds a limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.billing.actions import do_create_charges, do_create_claim
from chartdesk.billing.models import ClaimStatus, TimelyFilingLimit
from chartdesk.billing.timely_filing import deadline_of, do_add_filing_limit, limit_days
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from tests.billing.conftest import coded, visit_on
from tests.support import factories

pytestmark = pytest.mark.django_db


def claim_of_service(days_ago, patient, clinician, billing_user):
    day = timezone.localdate() - timedelta(days=days_ago)
    encounter = visit_on(patient, day)
    do_create_charges(encounter, coded(clinician, day), acting_user=billing_user)
    return do_create_claim(encounter, acting_user=billing_user)


def test_a_limit_holds_for_services_from_its_date_and_the_older_one_before(payer, billing_user):
    today = timezone.localdate()
    assert limit_days(payer, today) == 90  # the payer's own, without a dated limit
    do_add_filing_limit(payer, days=365, effective_from=today - timedelta(days=400), note="Contract 2025",
                        acting_user=billing_user)
    do_add_filing_limit(payer, days=60, effective_from=today - timedelta(days=30), note="Contract 2026",
                        acting_user=billing_user)
    assert limit_days(payer, today - timedelta(days=500)) == 90
    assert limit_days(payer, today - timedelta(days=100)) == 365
    assert limit_days(payer, today - timedelta(days=10)) == 60
    assert AuditEvent.objects.filter(object_type="timely_filing_limit", detail__days=60).exists()


def test_the_scrubber_refuses_a_claim_past_the_limit_in_effect_on_its_service_date(
        covered_patient, organisation, fees, clinician, billing_user, payer):
    do_add_filing_limit(payer, days=30, effective_from=timezone.localdate() - timedelta(days=365),
                        acting_user=billing_user)
    claim = claim_of_service(45, covered_patient, clinician, billing_user)  # within 90 days, past 30
    assert claim.status == ClaimStatus.SCRUBBED
    [finding] = claim.findings.filter(rule="timely_filing")
    deadline = timezone.localdate() - timedelta(days=15)
    assert finding.message == (f"Acme Health Plan takes claims within 30 days of service; the deadline for the "
                               f"service on {deadline - timedelta(days=30):%m/%d/%Y} was {deadline:%m/%d/%Y}. "
                               f"Send it only with proof of timely filing, or write it off.")


def test_the_claim_page_warns_before_the_deadline_and_the_work_list_shows_the_claim(
        covered_patient, organisation, fees, clinician, billing_user, client_for):
    claim = claim_of_service(75, covered_patient, clinician, billing_user)  # 15 days left of 90
    assert claim.status == ClaimStatus.READY
    found = deadline_of(claim)
    assert found is not None and found.days_left(timezone.localdate()) == 15
    desk = client_for(billing_user)
    page = desk.get(f"/billing/claim/{claim.pk}/").content.decode()
    assert 'data-timely-filing="near"' in page and "Timely filing: 15 days left" in page
    work_list = desk.get("/billing/timely-filing/").content.decode()
    assert f'data-claim="{claim.claim_number}"' in work_list


def test_a_claim_far_from_its_deadline_has_no_warning_and_is_not_listed(charged_visit, billing_user, client_for):
    claim = do_create_claim(charged_visit, acting_user=billing_user)  # ten days old, 90 allowed
    desk = client_for(billing_user)
    assert "data-timely-filing" not in desk.get(f"/billing/claim/{claim.pk}/").content.decode()
    assert "No claim is near its deadline." in desk.get("/billing/timely-filing/").content.decode()


def test_set_up_adds_a_limit_on_the_desk_and_bad_input_changes_nothing(payer, billing_user, client_for):
    desk = client_for(billing_user)
    added = desk.post("/billing/timely-filing/", {"payer": payer.pk, "days": "365", "effective_from": "2026-01-01",
                                                 "note": "Medicare: 12 months from the date of service"})
    assert added.status_code == 302
    assert TimelyFilingLimit.objects.get().days == 365
    refused = desk.post("/billing/timely-filing/", {"payer": payer.pk, "days": "0", "effective_from": "2026-01-01"})
    assert refused.status_code == 400 and "Ensure this value is greater than or equal to 1" in refused.content.decode()
    assert TimelyFilingLimit.objects.count() == 1
    with pytest.raises(ChartdeskError, match="between 1 and 3650"):
        do_add_filing_limit(payer, days="many", effective_from=timezone.localdate(), acting_user=billing_user)
    with pytest.raises(ChartdeskError, match="Give the date"):
        do_add_filing_limit(payer, days=30, effective_from=None, acting_user=billing_user)
    assert TimelyFilingLimit.objects.count() == 1


@pytest.mark.parametrize("role", ["coder", "registrar", "roi"])
def test_other_roles_get_no_work_list_and_add_no_limit(role, payer, client_for):
    user = factories.make_user(role, username=f"someone-{role}")
    client = client_for(user)
    assert client.get("/billing/timely-filing/").status_code == 403
    assert client.post("/billing/timely-filing/", {"payer": payer.pk, "days": "30",
                                                   "effective_from": "2026-01-01"}).status_code == 403
    with pytest.raises(PermissionRefused):
        do_add_filing_limit(payer, days=30, effective_from=timezone.localdate(), acting_user=user)
    assert not TimelyFilingLimit.objects.exists()


def test_a_biller_without_set_up_sees_the_list_but_adds_no_limit(payer, client_for):
    from django.contrib.auth.models import Permission

    biller = factories.make_user("registrar", username="biller-only")
    biller.user_permissions.add(Permission.objects.get(codename="work_claims"))
    client = client_for(biller)
    assert client.get("/billing/timely-filing/").status_code == 200
    refused = client.post("/billing/timely-filing/", {"payer": payer.pk, "days": "30", "effective_from": "2026-01-01"})
    assert refused.status_code == 400 and "You do not have permission to maintain billing set-up." in \
        refused.content.decode()
    assert not TimelyFilingLimit.objects.exists()
