"""Denial rate, days in A/R, case-mix index and duplicate rate on hand-counted records (conftest.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chartdesk.billing.models import Claim, ClaimStatus, Coverage, Denial, LedgerEntry, Remittance
from chartdesk.coding.workflow.models import CodingCase, DrgGrouping
from chartdesk.patients.models import DuplicateCandidate, DuplicateScan
from tests.reports.conftest import at
from tests.reports.test_report_numbers import values
from tests.support import factories


def _submitted_claim(encounter, number, day):
    coverage = Coverage.objects.get(patient=encounter.patient)
    return Claim.objects.create(claim_number=number, encounter=encounter, patient=encounter.patient,
                                coverage=coverage, payer=coverage.payer, rank="primary", status=ClaimStatus.SUBMITTED,
                                place_of_service="11", total_charge=Decimal("100.00"), created_at=at(day),
                                submitted_at=at(day))


def test_denial_rate_is_denied_claims_over_claims_submitted(department, client_for):
    _submitted_claim(department.c, "CLM-C", date(2025, 3, 20))
    _submitted_claim(department.f, "CLM-F", date(2025, 3, 25))
    remittance = Remittance.objects.create(payer_name="Acme Health", trace_number="T1", payment_amount=0,
                                           file_sha256="0" * 64)
    Denial.objects.create(claim=Claim.objects.get(claim_number="CLM-E"), remittance=remittance, group_code="CO",
                          reason_code="97", reason_text="Bundled", amount=Decimal("50.00"))
    figures = values("denial-rate")
    # March: CLM-E, CLM-C and CLM-F submitted; CLM-E denied ($50). February: nothing submitted.
    assert figures["submitted"] == [0, 3]
    assert figures["denied"] == [0, 1]
    assert figures["rate"] == [None, pytest.approx(33.3)]
    assert figures["denied_dollars"] == [Decimal("0.00"), Decimal("50.00")]
    listed = client_for(department.biller).get("/reports/denial-rate/list/", {
        "since": "2025-02-01", "until": "2025-03-31", "grain": "month", "period": "2025-03-01", "series": "denied"})
    assert [row["cells"][0] for row in listed.context["rows"]] == ["CLM-E"]
    assert listed.context["rows"][0]["cells"][-1] == "CO-97"


def test_days_in_ar_is_balance_over_average_daily_charges(department):
    e_claim = Claim.objects.get(claim_number="CLM-E")
    d_claim = Claim.objects.get(claim_number="CLM-D")
    for claim, kind, amount, day in ((e_claim, "charge", "200.00", date(2025, 2, 25)),
                                     (d_claim, "charge", "150.00", date(2025, 3, 6)),
                                     (e_claim, "payment", "120.00", date(2025, 3, 20))):
        LedgerEntry.objects.create(patient=claim.patient, claim=claim, kind=kind, party="insurance",
                                   amount=Decimal(amount), posted_at=at(day))
    figures = values("days-in-ar")
    # End of February: $200 owed; $200 charged in the 90 days before = $2.22 a day: 90.1 days.
    # End of March: $200 + $150 - $120 = $230 owed; $350 charged = $3.89 a day: 59.1 days.
    assert figures["balance"] == [Decimal("200.00"), Decimal("230.00")]
    assert figures["daily_charges"] == [Decimal("2.22"), Decimal("3.89")]
    assert figures["days"] == [90.1, 59.1]


def test_case_mix_index_is_the_mean_final_drg_weight(department):
    def grouping(encounter, revision, stage, drg, weight):
        DrgGrouping.objects.create(case=CodingCase.objects.get(encounter=encounter), revision=revision, stage=stage,
                                   version="42", drg=drg, title=f"DRG {drg}", mdc="05", return_code="OK",
                                   weight=Decimal(weight))

    grouping(department.c, 1, "coded", "291", "1.5000")
    grouping(department.d, 1, "coded", "293", "1.0000")
    grouping(department.d, 2, "final", "291", "2.0000")  # the reviewer's final DRG counts, not the coder's
    figures = values("case-mix")
    assert figures["cases"] == [0, 2]
    assert figures["cmi"] == [None, Decimal("1.7500")]


def test_duplicate_rate_is_the_latest_scan_before_each_period_end(department, client_for):
    manager = department.manager
    for day, charts, in_pairs in ((date(2025, 2, 10), 100, 4), (date(2025, 3, 5), 100, 2), (date(2025, 3, 20), 200, 2)):
        DuplicateScan.objects.create(started_at=at(day), started_by=manager, patients=charts,
                                     patients_in_pairs=in_pairs)
    twin_a, twin_b = factories.make_patient("Ann", "Twin"), factories.make_patient("Anne", "Twin")
    old_a, old_b = factories.make_patient("Bob", "Old"), factories.make_patient("Rob", "Old")
    DuplicateCandidate.objects.create(patient_low=twin_a, patient_high=twin_b, probability=0.97, match_weight=9,
                                      band="match", first_found_at=at(date(2025, 3, 5)))
    DuplicateCandidate.objects.create(patient_low=old_a, patient_high=old_b, probability=0.9, match_weight=8,
                                      band="review", status="not_duplicate", first_found_at=at(date(2025, 2, 10)),
                                      decided_at=at(date(2025, 3, 10)), decided_by=manager)
    figures = values("duplicate-rate")
    assert figures["rate"] == [4.0, 1.0]
    assert figures["charts"] == [100, 200]
    query = {"since": "2025-02-01", "until": "2025-03-31", "grain": "month", "series": "rate"}
    march = client_for(manager).get("/reports/duplicate-rate/list/", {**query, "period": "2025-03-01"})
    assert [row["cells"][2] for row in march.context["rows"]] == [twin_a.mrn, twin_b.mrn]
    february = client_for(manager).get("/reports/duplicate-rate/list/", {**query, "period": "2025-02-01"})
    assert [row["cells"][2] for row in february.context["rows"]] == [old_a.mrn, old_b.mrn]


def test_the_new_reports_are_opened_by_their_roles_only(department, client_for):
    expectations = {"denial-rate": {"billing", "him_manager"}, "days-in-ar": {"billing", "him_manager"},
                    "case-mix": {"him_manager"}, "duplicate-rate": {"him_manager"}}
    for role in ("billing", "him_manager", "coder", "roi", "registrar"):
        client = client_for(factories.make_user(role))
        for slug, allowed in expectations.items():
            assert client.get(f"/reports/{slug}/").status_code == (200 if role in allowed else 403), (role, slug)
