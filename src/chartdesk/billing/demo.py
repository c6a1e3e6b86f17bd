"""Billing demo data: an organisation, payers, coverage, a fee schedule and charges for finished visits.

Called from core/demo once the clinical demo is loaded, through the same actions the desk uses, so
that on a fresh demo database `chartdesk billing create-claims` then `chartdesk billing export-837`
write a real 837P batch.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from chartdesk.billing.actions import (
    do_add_coverage,
    do_create_charges,
    do_save_organisation,
    do_save_payer,
    do_set_fee,
)
from chartdesk.billing.schemas import CodedDiagnosis, CodedEncounter, CodedProcedure
from chartdesk.charts.models import Encounter, EncounterStatus

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
VISITS = [
    (("E11.9", "I10"), (("99214", ("25",), 1), ("36415", (), 1), ("80053", (), 1))),
    (("J06.9",), (("99213", (), 1),)),
    (("I10", "R07.89"), (("99214", (), 1), ("93000", (), 1))),
    (("E53.8", "D51.9"), (("99213", (), 1), ("J3420", (), 1), ("96372", (), 1))),
    (("R05.9", "J20.9"), (("99203", (), 1), ("71046", (), 1), ("85025", (), 1), ("36415", (), 1))),
]
MAX_BILLED_VISITS = 40


def load_billing_demo(staff: dict[str, Any], *, seed: int = 1) -> int:
    """Set up billing and charge recent finished outpatient visits; returns how many were charged."""
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
    since = timezone.now() - timedelta(days=150)
    visits = (
        Encounter.objects.filter(encounter_class="outpatient", status=EncounterStatus.FINISHED, admit_at__gte=since,
                                 patient__restriction="")
        .select_related("patient").prefetch_related("care_team__provider").order_by("admit_at")
    )
    charged = 0
    covered: set[int] = set()
    for encounter in visits[:MAX_BILLED_VISITS]:
        attending = encounter.attending
        if attending is None:
            continue
        patient = encounter.patient
        if patient.pk not in covered:
            payer = rng.choice(payers)
            do_add_coverage(patient, payer=payer, rank="primary", member_id=f"DM{patient.pk:08d}",
                            group_number=f"G{rng.randint(1000, 9999)}", acting_user=billing)
            if payer.claim_filing_indicator == "MB" and rng.random() < 0.5:
                do_add_coverage(patient, payer=payers[0], rank="secondary", member_id=f"SUP{patient.pk:07d}",
                                acting_user=billing)
            covered.add(patient.pk)
        diagnoses, procedures = rng.choice(VISITS)
        day = timezone.localtime(encounter.admit_at).date()
        coded = CodedEncounter(
            diagnoses=[CodedDiagnosis(code, principal=n == 0) for n, code in enumerate(diagnoses)],
            procedures=[CodedProcedure(code, modifiers=mods, units=units, date=day, provider=attending)
                        for code, mods, units in procedures],
        )
        do_create_charges(encounter, coded, acting_user=billing)
        charged += 1
    return charged
