"""Billing demo data: an organisation, payers, coverage, a fee schedule and recent visits coded for billing.

Called from core/demo once the clinical demo and the coding demo are loaded, through the same actions
the desk uses. Recent finished visits get coverage, and most of them are coded through the coding
workflow's own actions (diagnoses, CPT lines, completed: ready for billing) by one of the department's
three coders, one to four working days after the visit, 4 to 15 minutes each (core.demo.story); the
rest stay in the coding queue. All but the newest quarter of the coded visits come with a history
(billing.demo_remittance: claimed in the claims run after coding, remitted by the payer weeks later
when that day has come, one denied) so A/R aging and the denial queue have work; the newest are not
charged: on a fresh demo database `chartdesk billing create-claims` charges them from the fee
schedule (billing.from_coding) and claims them, and `chartdesk billing export-837` writes the batch.

Codes are checked against the ICD-10-CM release in effect on each visit's day, so the code set must
be loaded first (`make demo` does); without it the visits are left uncoded and the count says so.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from chartdesk.billing.actions import do_add_coverage, do_save_organisation, do_save_payer, do_set_fee
from chartdesk.billing.demo_remittance import bill_and_remit
from chartdesk.billing.institutional.actions import do_load_chargemaster
from chartdesk.charts.models import Encounter, EncounterStatus
from chartdesk.coding.models import CodeSetRelease, CodeSystem
from chartdesk.coding.workflow.actions import service_day
from chartdesk.coding.workflow.demo import DemoProcedure, code_visit
from chartdesk.core import clock
from chartdesk.core.demo.story import SAFETY, working_moment

DEMO_CHARGEMASTER = Path(__file__).resolve().parent / "data" / "demo_chargemaster.csv"
FEES = [
    ("99202", "", "110.00", "New patient visit, straightforward"),
    ("99203", "", "150.00", "New patient visit, low complexity"),
    ("99213", "", "125.00", "Established patient visit, low complexity"),
    ("99214", "", "180.00", "Established patient visit, moderate complexity"),
    ("99214", "25", "185.00", "Established visit with a separate procedure"),
    ("93000", "", "40.00", "Electrocardiogram with interpretation"),
    ("36415", "", "12.00", "Routine venipuncture"),
    ("80053", "", "55.00", "Comprehensive metabolic panel"),
    ("85025", "", "28.00", "Complete blood count with differential"),
    ("71046", "", "90.00", "Chest X-ray, 2 views"),
    ("J3420", "", "30.00", "Vitamin B-12 injection, up to 1000 mcg"),
    ("96372", "", "35.00", "Therapeutic injection, subcutaneous or intramuscular"),
]
PAYERS = [
    ("Prairie Mutual Health", "PMH01", "CI", 180),
    ("Medicare Part B (Demo)", "MCRB0", "MB", 365),
    ("Heartland Medicaid", "HMCD1", "MC", 365),
]


def _cpt(code: str, *modifiers: str) -> DemoProcedure:
    return DemoProcedure("cpt", code, modifiers)


# What the demo's coder codes: diagnoses in sequence (first-listed first) and the CPT lines, every one
# priced in FEES. CPT only: HCPCS codes are checked against a loaded HCPCS release, which the demo has
# not got (J3420 stays in the fee schedule for charges entered by hand).
VISITS: list[tuple[tuple[str, ...], tuple[DemoProcedure, ...]]] = [
    (("E11.9", "I10"), (_cpt("99214", "25"), _cpt("36415"), _cpt("80053"))),
    (("J06.9",), (_cpt("99213"),)),
    (("I10", "R07.89"), (_cpt("99214"), _cpt("93000"))),
    (("E53.8", "D51.9"), (_cpt("99213"), _cpt("85025"), _cpt("36415"))),
    (("R05.9", "J20.9"), (_cpt("99203"), _cpt("71046"), _cpt("85025"), _cpt("36415"))),
]
MAX_BILLED_VISITS = 40
MIN_CODED_FOR_HISTORY = 4  # below this, every coded visit is left for create-claims
LEFT_FOR_THE_CODERS = 5  # every fifth recent visit stays uncoded, so the coding queue has work
# Minutes a coder spends on one outpatient visit: 4 to 15 visits an hour, as outpatient coders manage.
CODING_MINUTES = (4.0, 15.0)


@dataclass
class BillingDemo:
    covered_visits: int = 0
    coded: int = 0
    billed: int = 0  # of the coded, the oldest third: claimed, sent and remitted (one denied)
    uncoded: int = 0  # left in the coding queue, or with no ICD-10-CM release in effect on their day

    @property
    def ready_to_bill(self) -> int:
        return self.coded - self.billed


def recent_visits(leave_alone: Iterable[Encounter]) -> list[Encounter]:
    """Finished outpatient visits of the last 150 days (inside every demo payer's filing limit)."""
    since = clock.now() - timedelta(days=150)
    return list(
        Encounter.objects.filter(encounter_class="outpatient", status=EncounterStatus.FINISHED, admit_at__gte=since,
                                 patient__restriction="", coding_case__isnull=True)
        .exclude(pk__in=[encounter.pk for encounter in leave_alone])
        .select_related("patient").prefetch_related("care_team__provider").order_by("admit_at")[:MAX_BILLED_VISITS]
    )


def _codable(encounter: Encounter) -> bool:
    """An ICD-10-CM release is in effect on the visit and on the day it was closed (the coding day)."""
    days = {timezone.localtime(encounter.admit_at).date(), service_day(encounter)}
    return all(CodeSetRelease.objects.in_effect(CodeSystem.ICD10CM, day) for day in days)


def load_billing_demo(staff: dict[str, Any], *, seed: int = 1, leave_alone: Iterable[Encounter] = (),
                      coders: Iterable[Any] = ()) -> BillingDemo:
    """Set up billing, cover recent finished visits and code most of them for billing, each by one of
    `coders` at a story time after the visit (core.demo.story).
    `leave_alone`: encounters another demo keeps for itself (the coding queue's own stays)."""
    billing = staff["billing"]
    rng = random.Random(seed)
    do_save_organisation(
        acting_user=billing, name="Chartdesk Demo Physicians", npi="1234567893", tax_id="371234567",
        taxonomy="207Q00000X", address_line="100 Main Street", city="Springfield", state="IL",
        zip_code="627011234", phone="2175550100", contact_name="Demo Billing Office", submitter_id="CHARTDESK01",
        receiver_id="DEMOCLEAR", receiver_name="Demo Clearinghouse",
    )
    payers = [do_save_payer(acting_user=billing, name=name, payer_id=payer_id, claim_filing_indicator=indicator,
                            timely_filing_days=days) for name, payer_id, indicator, days in PAYERS]
    for code, modifier, charge, description in FEES:
        do_set_fee(code, charge, modifier=modifier, description=description, acting_user=billing)
    # The hospital's chargemaster, so a coded stay can be billed on the 837I (billing/institutional)
    do_load_chargemaster(DEMO_CHARGEMASTER.read_text(encoding="utf-8"), acting_user=billing)
    outcome = BillingDemo()
    coders = list(coders) or [staff["coder"]]
    latest = timezone.now() - SAFETY
    coded: list[tuple[Encounter, datetime]] = []
    covered: set[int] = set()
    for number, encounter in enumerate(recent_visits(leave_alone)):
        attending = encounter.attending
        if attending is None:
            continue
        patient = encounter.patient
        if patient.pk not in covered:
            _cover(patient, payers, rng, billing)
            covered.add(patient.pk)
        outcome.covered_visits += 1
        diagnoses, procedures = rng.choice(VISITS)
        day = timezone.localtime(encounter.admit_at).date()
        coded_at = _coding_moment(rng, encounter)
        if (number % LEFT_FOR_THE_CODERS == LEFT_FOR_THE_CODERS - 1 or not _codable(encounter)
                or coded_at + timedelta(minutes=CODING_MINUTES[1]) > latest):
            outcome.uncoded += 1
            continue
        code_visit(encounter, diagnoses=diagnoses, procedures=procedures, performed_on=day, provider=attending,
                   coder=rng.choice(coders), at=coded_at, minutes=rng.uniform(*CODING_MINUTES))
        coded.append((encounter, coded_at))
    outcome.coded = len(coded)
    if len(coded) >= MIN_CODED_FOR_HISTORY:
        # The newest coded visits wait for this week's claims run (create-claims); the others were billed
        # days after coding, and the payers answered weeks later (billing.demo_remittance).
        coded.sort(key=lambda pair: pair[1])
        billed = coded[:len(coded) - max(1, len(coded) // 4)]
        outcome.billed = len(bill_and_remit(billed, acting_user=billing, rng=rng, latest=latest))
    return outcome


def _cover(patient: Any, payers: list[Any], rng: random.Random, billing: Any) -> None:
    payer = rng.choice(payers)
    do_add_coverage(patient, payer=payer, rank="primary", member_id=f"DM{patient.pk:08d}",
                    group_number=f"G{rng.randint(1000, 9999)}", acting_user=billing)
    if payer.claim_filing_indicator == "MB" and rng.random() < 0.5:
        do_add_coverage(patient, payer=payers[0], rank="secondary", member_id=f"SUP{patient.pk:07d}",
                        acting_user=billing)


def _coding_moment(rng: random.Random, encounter: Encounter) -> datetime:
    """A coder opens the visit one to four working days after it closed, in working hours."""
    closed = timezone.localtime(encounter.discharge_at or encounter.admit_at)
    return working_moment(rng, closed + timedelta(days=rng.randint(1, 4)))


def billing_demo_stage(run: Any) -> None:
    """Billing's stage of `chartdesk demo-data`: set-up, and recent visits coded for billing."""
    run.result.coded_for_billing = load_billing_demo(run.staff, seed=run.plan.seed, leave_alone=run.coding_queue,
                                                     coders=run.coders).ready_to_bill
