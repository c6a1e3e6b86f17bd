"""On a fresh demo database, `demo-data`, `billing create-claims` and `billing export-837` give a real
837P batch: the demo's recent visits are coded through the coding workflow, and billing charges
them from those codes (billing.from_coding), not from codes of its own. The oldest coded visits come
already billed and remitted, so A/R aging and the denial queue have work."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.billing.aging import aging_by_patient, aging_by_payer
from chartdesk.billing.ledger import account_totals
from chartdesk.billing.models import (
    BillingOrganisation,
    Charge,
    Claim,
    ClaimStatus,
    Coverage,
    Denial,
    Payer,
    Remittance,
)
from chartdesk.charts.models import Encounter
from chartdesk.coding.workflow.coded import coded_encounter
from chartdesk.coding.workflow.models import CaseStatus, CodingCase
from chartdesk.patients.actions import do_update_demographics
from tests.support.pyx12_check import pyx12_validate
from tests.support.reader837 import read_837

pytestmark = pytest.mark.django_db

DEMO_PATIENTS = "80"
DEMO_CODERS = ("coder", "coder.okafor", "coder.lindqvist")


def chartdesk(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(settings) -> str:
    settings.MODE = "demo"
    # `chartdesk demo-data` is the demo_data command
    return chartdesk("demo_data", "--patients", DEMO_PATIENTS, "--seed", "3")


def coded_cases() -> list[CodingCase]:
    return list(CodingCase.objects.filter(status=CaseStatus.CODED).select_related("encounter").order_by("pk"))


def waiting_to_bill() -> list[Encounter]:
    """Coded visits the demo left for create-claims: no charge and no claim yet."""
    return [case.encounter for case in coded_cases()
            if not case.encounter.charges.exists() and not case.encounter.claims.exists()]


def test_the_demo_codes_recent_visits_through_the_coding_workflow_and_leaves_the_queue_work(demo):
    assert BillingOrganisation.objects.get().npi == "1234567893"
    assert Payer.objects.count() == 3
    cases = coded_cases()
    waiting = waiting_to_bill()
    assert waiting and len(cases) > len(waiting)  # some wait for create-claims, the oldest come billed
    assert f"{len(waiting)} recent visits are coded and ready to bill" in demo
    # Visits older than the loaded ICD-10-CM edition are named, with the release the desk offers them.
    assert "finished visits predate the earliest ICD-10-CM release loaded (ICD-10-CM FY2026 April update" in demo
    # The department's three coders (the demo `coder` and two colleagues) share the work.
    coders = {user.pk: user for user in get_user_model().objects.filter(username__in=DEMO_CODERS)}
    assert len(coders) == 3
    for case in cases:
        assert case.coded_by_id in coders
        assert case.diagnoses.exists() and case.procedures.exists()
        assert set(case.procedures.values_list("system", flat=True)) == {"cpt"}
        assert set(case.diagnoses.values_list("added_by", flat=True)) == {case.coded_by_id}
        assert Coverage.objects.filter(patient=case.encounter.patient, rank="primary").exists()
    assert len({case.coded_by_id for case in cases}) > 1
    completions = AuditEvent.objects.filter(object_type="coding_case", detail__change="complete")
    assert completions.count() == len(cases)
    # Every charge the demo holds was made from a coded visit's codes, none by hand.
    for charge in Charge.objects.select_related("encounter"):
        coded = coded_encounter(charge.encounter)
        assert coded is not None and charge.code in {line.code for line in coded.procedures}

    covered_but_uncoded = (Encounter.objects.filter(status="finished", patient__coverages__isnull=False)
                           .exclude(coding_case__status=CaseStatus.CODED).distinct())
    assert covered_but_uncoded.exists()
    # The coding demo's stays (the demo provider consults on them, for queries) stay for the coder.
    doctor = get_user_model().objects.get(username="provider").provider
    kept = Encounter.objects.filter(care_team__provider=doctor, care_team__role="consulting")
    assert kept.exists()
    assert not kept.filter(coding_case__status=CaseStatus.CODED).exists()


def test_the_oldest_coded_visits_come_remitted_with_balances_to_age_and_a_denial_to_work(demo):
    sent = Claim.objects.filter(rank="primary").exclude(status__in=[ClaimStatus.READY, ClaimStatus.DRAFT])
    assert sent.filter(status=ClaimStatus.PAID).exists()
    assert Remittance.objects.exists()
    [denial] = Denial.objects.filter(status="open")
    assert denial.claim.status == ClaimStatus.DENIED
    assert "not deemed a 'medical necessity'" in denial.reason_text
    today = timezone.localdate()
    payer_rows, payer_total = aging_by_payer(today)
    patient_rows, patient_total = aging_by_patient(today)
    assert payer_rows and payer_total.total > 0  # the denied claim's balance stays with its payer
    assert patient_rows and patient_total.total > 0  # the coinsurance moved to the patients
    for claim in sent:
        totals = account_totals(claim.patient)
        assert totals["charges"] - totals["payments"] - totals["adjustments"] == totals["balance"] > 0


def test_create_claims_then_export_837_bills_the_coded_visits_waiting(demo, tmp_path):
    waiting = waiting_to_bill()
    already = set(Claim.objects.values_list("pk", flat=True))
    said = chartdesk("billing", "create-claims")
    created = list(Claim.objects.exclude(pk__in=already).select_related("encounter"))
    assert said.startswith(f"{len(created)} claims created: {len(created)} ready, 0 with findings to fix."), said
    assert sorted(claim.encounter_id for claim in created) == sorted(encounter.pk for encounter in waiting)

    ready = list(Claim.objects.filter(status=ClaimStatus.READY).select_related("encounter", "payer"))
    out = tmp_path / "demo.837"
    said = chartdesk("billing", "export-837", "--out", str(out))
    assert re.search(rf"Wrote {len(ready)} claims \(", said), said
    content = out.read_text(encoding="ascii")
    assert pyx12_validate(content).errors == []
    assert set(re.findall(r"~DMG\*D8\*\d{8}\*([^*~]*)", content.replace("\n", ""))) <= {"F", "M", "U"}

    read = {claim.claim_number: claim for claim in read_837(content).claims}
    assert sorted(read) == sorted(claim.claim_number for claim in ready)
    for claim in created:
        coded = coded_encounter(claim.encounter)
        assert coded is not None
        sent = read[claim.claim_number]
        assert list(sent.diagnoses) == [line.code for line in coded.diagnoses]
        assert [(line.code, line.modifiers) for line in sent.lines] == [
            (line.code, line.modifiers) for line in coded.procedures
        ]
        assert sent.payer_id == claim.payer.payer_id
    assert not Claim.objects.filter(status=ClaimStatus.READY).exists()


def test_a_demo_patient_recorded_as_x_is_held_with_the_fix_and_the_rest_of_the_batch_validates(demo, tmp_path):
    """005010X222A1 sends F, M or U in DMG03: a chart that records X holds its claims with the fix named
    (nothing substituted), and the batch of everyone else still validates."""
    waiting = waiting_to_bill()
    assert len({visit.patient_id for visit in waiting}) > 1, [visit.patient_id for visit in waiting]
    patient = waiting[0].patient
    do_update_demographics(patient, {"sex": "X"}, expected_revision=patient.revision,
                           acting_user=get_user_model().objects.get(username="registrar"))
    already = set(Claim.objects.values_list("pk", flat=True))
    said = chartdesk("billing", "create-claims")
    created = Claim.objects.exclude(pk__in=already)
    held = list(created.filter(patient=patient))
    assert held and said.startswith(f"{created.count()} claims created: {created.count() - len(held)} ready, "
                                    f"{len(held)} with findings to fix."), said
    for claim in held:
        assert claim.status == ClaimStatus.SCRUBBED
        assert [(f.rule, f.message) for f in claim.findings.all()] == [
            ("x12_sex", "The patient's sex X cannot be sent on an 837P: record F, M or U on the patient's chart.")]

    out = tmp_path / "demo.837"
    chartdesk("billing", "export-837", "--out", str(out))
    content = out.read_text(encoding="ascii")
    assert pyx12_validate(content).errors == []
    sent = {claim.claim_number for claim in read_837(content).claims}
    assert sent == set(created.exclude(patient=patient).values_list("claim_number", flat=True))
