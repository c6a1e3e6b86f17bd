"""Claims from charged encounters, their statuses, and every rule of the scrubber."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from chartdesk.billing import scrubber
from chartdesk.billing.actions import (
    ChargeInput,
    do_add_charge,
    do_adjust_charge,
    do_create_charges,
    do_create_claim,
    do_create_claims,
    do_save_payer,
    do_scrub_claim,
    do_set_claim_status,
    encounters_ready_to_bill,
)
from chartdesk.billing.ledger import account_totals
from chartdesk.billing.models import ClaimStatus
from chartdesk.charts.models import Provider
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from tests.billing.conftest import coded, visit_on

pytestmark = pytest.mark.django_db


def rules(claim):
    return sorted({finding.rule for finding in claim.findings.all()})


def test_a_clean_claim_is_ready_with_its_lines_total_and_ledger_charge(charged_visit, billing_user):
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    assert claim.status == ClaimStatus.READY
    assert rules(claim) == []
    assert claim.claim_number == f"CD{claim.pk:010d}"
    assert claim.total_charge == Decimal("152.00")
    assert [(line.code, line.modifiers) for line in claim.lines.all()] == [("99213", ["25"]), ("36415", [])]
    assert account_totals(claim.patient)["charges"] == Decimal("152.00")
    assert claim.payer.payer_id == "ACME1"


def test_an_encounter_is_billed_once(charged_visit, billing_user):
    first = do_create_claim(charged_visit, acting_user=billing_user)
    with pytest.raises(ChartdeskError) as refusal:
        do_create_claim(charged_visit, acting_user=billing_user)
    assert first.claim_number in refusal.value.message


def test_create_claims_bills_every_encounter_with_charges_and_no_claim(charged_visit, billing_user, patient):
    assert encounters_ready_to_bill() == [charged_visit]
    run = do_create_claims(acting_user=billing_user)
    assert [c.encounter_id for c in run.created] == [charged_visit.pk]
    assert encounters_ready_to_bill() == []


def test_a_visit_paid_in_full_under_a_self_pay_restriction_is_never_claimed(charged_visit, billing_user, users):
    from chartdesk.billing.actions import SELF_PAY_RESTRICTED
    from chartdesk.billing.models import Claim
    from chartdesk.disclosures.amendments import do_decide_restriction, do_request_restriction

    privacy = users["privacy_officer"]
    restriction = do_request_restriction(charged_visit.patient, kind="self_pay", encounter=charged_visit,
                                         description="Paid at the desk; do not tell my plan", paid_in_full=True,
                                         acting_user=privacy)
    do_decide_restriction(restriction, agree=True, acting_user=privacy)

    run = do_create_claims(acting_user=billing_user)

    assert run.refused == [(charged_visit.account_number, SELF_PAY_RESTRICTED)]
    assert not Claim.objects.filter(encounter=charged_visit).exists()


def test_an_encounter_without_coverage_is_listed_as_refused(organisation, fees, clinician, billing_user,
                                                            service_day):
    from tests.support import factories

    uninsured = factories.make_patient("Noel", "Uninsured")
    encounter = visit_on(uninsured, service_day)
    do_create_charges(encounter, coded(clinician, service_day), acting_user=billing_user)
    run = do_create_claims(acting_user=billing_user)
    assert run.created == []
    assert run.refused == [(encounter.account_number, "The patient has no active primary coverage: add it before "
                                                      "creating claims.")]


def test_missing_rendering_npi_keeps_the_claim_from_being_ready(covered_patient, organisation, fees, billing_user,
                                                                service_day):
    no_npi = Provider.objects.create(given_name="Sam", family_name="Nonpi", npi="")
    encounter = visit_on(covered_patient, service_day)
    do_create_charges(encounter, coded(no_npi, service_day), acting_user=billing_user)
    claim = do_create_claim(encounter, acting_user=billing_user)
    assert claim.status == ClaimStatus.SCRUBBED
    assert rules(claim) == ["missing_rendering_npi"]


def test_missing_billing_npi_is_a_finding(charged_visit, billing_user, organisation):
    organisation.npi = ""
    organisation.save()
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    assert "missing_billing_npi" in rules(claim)


def test_a_dependent_without_subscriber_birth_date_is_a_finding(charged_visit, billing_user):
    coverage = charged_visit.patient.coverages.get()
    coverage.relationship = "19"
    coverage.subscriber_birth_date = None
    coverage.save()
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    finding = claim.findings.get(rule="missing_subscriber")
    assert finding.message == "The subscriber's date of birth is missing."


def test_a_service_older_than_the_payers_filing_limit_is_a_finding(covered_patient, organisation, fees, clinician,
                                                                    billing_user, payer):
    from django.utils import timezone

    old_day = timezone.localdate() - timedelta(days=120)  # the payer takes 90 days
    encounter = visit_on(covered_patient, old_day)
    do_create_charges(encounter, coded(clinician, old_day), acting_user=billing_user)
    claim = do_create_claim(encounter, acting_user=billing_user)
    assert rules(claim) == ["timely_filing"]
    assert "within 90 days" in claim.findings.get().message
    do_save_payer(payer=payer, acting_user=billing_user, name=payer.name, payer_id=payer.payer_id,
                  claim_filing_indicator="CI", timely_filing_days=365)
    claim.refresh_from_db()
    do_scrub_claim(claim, acting_user=billing_user)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY


def test_the_same_service_on_another_claim_is_a_duplicate(charged_visit, covered_patient, clinician, billing_user,
                                                          service_day):
    first = do_create_claim(charged_visit, acting_user=billing_user)
    second_visit = visit_on(covered_patient, service_day)
    do_create_charges(second_visit, coded(clinician, service_day), acting_user=billing_user)
    second = do_create_claim(second_visit, acting_user=billing_user)
    assert rules(second) == ["duplicate_claim"]
    assert first.claim_number in second.findings.get().message


def test_a_zero_charge_is_a_finding(charged_visit, billing_user, clinician):
    line = charged_visit.charges.get(code="36415")
    do_adjust_charge(line, ChargeInput(code="36415", amount="0.00", rendering_provider=clinician,
                                       diagnosis_pointers=(1,)), acting_user=billing_user)
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    assert rules(claim) == ["zero_charge"]
    assert claim.findings.get().line_number == 2


def test_adjusting_a_charge_rebuilds_and_rescrubs_an_unsent_claim(charged_visit, billing_user, clinician):
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    line = charged_visit.charges.get(code="36415")
    do_adjust_charge(line, ChargeInput(code="36415", amount="20.00", rendering_provider=clinician,
                                       diagnosis_pointers=(1,)), acting_user=billing_user)
    claim.refresh_from_db()
    assert claim.total_charge == Decimal("160.00")
    assert claim.lines.filter(superseded=False).count() == 2
    assert claim.status == ClaimStatus.READY
    assert account_totals(claim.patient)["charges"] == Decimal("160.00")


def test_thirteen_diagnoses_are_refused_at_charge_entry(covered_patient, organisation, fees, clinician,
                                                        billing_user, service_day):
    encounter = visit_on(covered_patient, service_day)
    thirteen = tuple(f"E11.{n}" for n in range(10)) + ("I10", "J45.909", "Z00.00")
    with pytest.raises(ChartdeskError) as refusal:
        do_create_charges(encounter, coded(clinician, service_day, diagnoses=thirteen), acting_user=billing_user)
    assert refusal.value.message == "An encounter bills at most 12 diagnoses; 13 were given."


def _claim_with(charged_visit, billing_user, **changes):
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    for line in claim.lines.all():
        for name, value in changes.items():
            setattr(line, name, value)
        line.save()
    return claim


def test_pointer_problems_are_findings_per_line(charged_visit, billing_user):
    claim = _claim_with(charged_visit, billing_user, diagnosis_pointers=[1, 5])
    findings = scrubber.scrub(claim, today=charged_visit.admit_at.date())
    assert {(f.rule, f.line_number) for f in findings} == {("pointer_out_of_range", 1), ("pointer_out_of_range", 2)}


def test_an_invalid_modifier_is_a_finding(charged_visit, billing_user):
    claim = _claim_with(charged_visit, billing_user, modifiers=["2X5"])
    assert {f.rule for f in scrubber.scrub(claim, today=charged_visit.admit_at.date())} == {"modifier_invalid"}


def test_over_twelve_diagnoses_and_fifty_lines_are_findings(charged_visit, billing_user):
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    claim.diagnoses = ["E119", "I10", "J45909", "Z0000", "E785", "N390", "R0789", "R059", "J069", "J209", "K219",
                       "F411", "D519"]  # thirteen real, billable codes
    line = claim.lines.first()
    for number in range(3, 52):
        line.pk = None
        line.line_number = number
        line.save()
    found = {f.rule for f in scrubber.scrub(claim, today=charged_visit.admit_at.date())}
    assert found == {"too_many_diagnoses", "too_many_lines"}


def test_syntactically_invalid_codes_are_refused_before_the_validator_runs(service_day):
    codes = scrubber.ClaimCodes(diagnoses=("E119", "123"), procedures=(("99213", (), Decimal(1)),
                                                                          ("ABCDE", (), Decimal(1))))
    found = scrubber.coding_validator_findings(codes, "F", 40, service_day)
    assert [(f.rule, f.message) for f in found] == [
        ("code_invalid", "123 is not a valid ICD-10-CM code."),
        ("code_invalid", "ABCDE is not a valid CPT or HCPCS code."),
    ]


def test_the_coding_validator_finds_header_codes_excludes1_pairs_and_sex_conflicts(service_day):
    codes = scrubber.ClaimCodes(diagnoses=("E11", "E10.9", "E11.9", "N40.0"), procedures=())
    found = scrubber.coding_validator_findings(codes, "F", 40, service_day)
    rules = {f.rule for f in found}
    assert {"coding_header_code", "coding_excludes1", "coding_sex_conflict"} <= rules, found
    assert any("E11" in f.message and "billable" in f.message.lower() for f in found)


def test_clean_codes_pass_the_coding_validator(service_day):
    codes = scrubber.ClaimCodes(diagnoses=("E11.9", "I10"), procedures=(("99213", (), Decimal(1)),))
    assert scrubber.coding_validator_findings(codes, "F", 40, service_day) == []


def test_a_date_of_service_no_loaded_code_set_covers_is_a_finding():
    codes = scrubber.ClaimCodes(diagnoses=("E11.9",), procedures=())
    found = scrubber.coding_validator_findings(codes, "F", 40, date(2015, 9, 30))  # before ICD-10 itself
    assert [f.rule for f in found] == ["coding_no_code_set"]


def test_status_changes_follow_the_lifecycle(charged_visit, billing_user):
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    with pytest.raises(ChartdeskError):
        do_set_claim_status(claim, ClaimStatus.ACCEPTED, acting_user=billing_user)  # not sent yet
    claim = do_set_claim_status(claim, ClaimStatus.CLOSED, acting_user=billing_user)
    assert claim.status == ClaimStatus.CLOSED


def test_an_him_manager_cannot_create_claims(charged_visit, users):
    with pytest.raises(PermissionRefused):
        do_create_claim(charged_visit, acting_user=users["him_manager"])


def test_a_hand_entered_line_on_a_new_code_prices_by_units(charged_visit, billing_user, clinician):
    line = do_add_charge(charged_visit, ChargeInput(code="J3420", units=3, rendering_provider=clinician),
                         acting_user=billing_user)
    assert line.amount == Decimal("90.00")
    assert line.code_system == "HCPCS"
