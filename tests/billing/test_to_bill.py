"""The desk counts a coded visit as work to bill before it has charges, and create-claims bills it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from chartdesk.billing.from_coding import encounters_to_bill
from chartdesk.billing.models import Claim, ClaimStatus
from chartdesk.charts.actions import do_finish_encounter
from chartdesk.coding.workflow.demo import DemoProcedure, code_visit
from tests.billing.conftest import visit_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def coded_visit(covered_patient, organisation, fees, clinician, users, service_day):
    encounter = do_finish_encounter(visit_on(covered_patient, service_day), acting_user=users["registrar"])
    code_visit(encounter, diagnoses=("E11.9", "I10"), procedures=(DemoProcedure("cpt", "99213"),),
               performed_on=timezone.localtime(encounter.admit_at).date(), provider=clinician, coder=users["coder"])
    return encounter


def test_a_coded_visit_without_charges_is_counted_to_bill_on_the_claims_page(client_for, billing_user, coded_visit):
    assert not coded_visit.charges.exists()
    assert encounters_to_bill() == 1
    page = client_for(billing_user).get("/billing/claims/")
    assert b"Create and scrub claims (1 to bill)" in page.content


def test_creating_claims_from_the_desk_charges_and_claims_the_coded_visit(client_for, billing_user, coded_visit,
                                                                         run_jobs):
    desk = client_for(billing_user)
    answer = desk.post("/billing/claims/create/")
    assert answer.status_code == 302
    assert not Claim.objects.exists()  # the claim run is a background job
    assert run_jobs() == 1
    claim = Claim.objects.get(encounter=coded_visit)
    assert claim.status == ClaimStatus.READY
    assert list(claim.lines.values_list("code", flat=True)) == ["99213"]
    assert encounters_to_bill() == 0
    assert b"(0 to bill)" in desk.get("/billing/claims/").content


def test_nothing_is_to_bill_while_the_visit_is_only_finished(client_for, billing_user, covered_patient, service_day,
                                                             users):
    do_finish_encounter(visit_on(covered_patient, service_day), acting_user=users["registrar"])
    assert encounters_to_bill() == 0


def test_a_second_claim_run_is_refused_while_one_is_queued(client_for, billing_user, coded_visit, run_jobs):
    from chartdesk.jobs.models import Job

    desk = client_for(billing_user)
    desk.post("/billing/claims/create/")
    again = desk.post("/billing/claims/create/", follow=True)
    assert "Claims are already being created and scrubbed" in again.content.decode()
    assert Job.objects.count() == 1
    assert run_jobs() == 1
    job = Job.objects.get()
    assert (job.status, job.message, job.result["created"]) == ("succeeded", "1 claims created, 1 ready to send", 1)
    assert job.started_by == billing_user
