"""On a fresh demo database, `demo-data`, `billing create-claims` and `billing export-837` give a real
837P batch: the demo's recent visits are coded through the coding workflow, and billing charges
them from those codes (billing.from_coding), not from codes of its own."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from chartdesk.audit.models import AuditEvent
from chartdesk.billing.models import BillingOrganisation, Charge, Claim, ClaimStatus, Coverage, Payer
from chartdesk.billing.x12.reader837 import read_837
from chartdesk.billing.x12.validate import pyx12_validate
from chartdesk.charts.models import Encounter
from chartdesk.coding.workflow.coded import coded_encounter
from chartdesk.coding.workflow.models import CaseStatus, CodingCase

pytestmark = pytest.mark.django_db

DEMO_PATIENTS = "24"


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


def test_the_demo_codes_recent_visits_through_the_coding_workflow_and_leaves_the_queue_work(demo):
    assert BillingOrganisation.objects.get().npi == "1234567893"
    assert Payer.objects.count() == 3
    cases = coded_cases()
    assert len(cases) >= 3
    assert f"{len(cases)} recent visits are coded and ready to bill" in demo
    coder = get_user_model().objects.get(username="coder")
    for case in cases:
        assert case.coded_by == coder
        assert case.diagnoses.exists() and case.procedures.exists()
        assert set(case.procedures.values_list("system", flat=True)) == {"cpt"}
        assert set(case.diagnoses.values_list("added_by", flat=True)) == {coder.pk}
        assert Coverage.objects.filter(patient=case.encounter.patient, rank="primary").exists()
    completions = AuditEvent.objects.filter(object_type="coding_case", detail__change="complete")
    assert completions.count() == len(cases)
    assert not Charge.objects.exists()  # nothing is charged until billing's own run

    covered_but_uncoded = (Encounter.objects.filter(status="finished", patient__coverages__isnull=False)
                           .exclude(coding_case__status=CaseStatus.CODED).distinct())
    assert covered_but_uncoded.exists()
    # The coding demo's stays (the demo provider consults on them, for queries) stay for the coder.
    doctor = get_user_model().objects.get(username="provider").provider
    kept = Encounter.objects.filter(care_team__provider=doctor, care_team__role="consulting")
    assert kept.exists()
    assert not kept.filter(coding_case__status=CaseStatus.CODED).exists()


def test_create_claims_then_export_837_bills_exactly_the_coded_visits(demo, tmp_path):
    cases = coded_cases()
    said = chartdesk("billing", "create-claims")
    assert said.startswith(f"{len(cases)} claims created: {len(cases)} ready, 0 with findings to fix."), said
    claims = list(Claim.objects.select_related("encounter"))
    assert sorted(claim.encounter_id for claim in claims) == sorted(case.encounter_id for case in cases)

    out = tmp_path / "demo.837"
    said = chartdesk("billing", "export-837", "--out", str(out))
    assert re.search(rf"Wrote {len(cases)} claims \(", said), said
    content = out.read_text()
    assert pyx12_validate(content).errors == []

    read = {claim.claim_number: claim for claim in read_837(content).claims}
    assert sorted(read) == sorted(claim.claim_number for claim in claims)
    for claim in claims:
        coded = coded_encounter(claim.encounter)
        assert coded is not None
        sent = read[claim.claim_number]
        assert list(sent.diagnoses) == [line.code for line in coded.diagnoses]
        assert [(line.code, line.modifiers) for line in sent.lines] == [
            (line.code, line.modifiers) for line in coded.procedures
        ]
        assert sent.payer_id == claim.payer.payer_id
    assert set(Claim.objects.values_list("status", flat=True)) == {ClaimStatus.SUBMITTED}
