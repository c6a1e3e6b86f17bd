"""Set-up data and charges: NPI check digits, payers, coverage, fees and charge lines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chartdesk.billing.actions import (
    ChargeInput,
    do_add_charge,
    do_add_coverage,
    do_adjust_charge,
    do_create_charges,
    do_save_organisation,
    do_save_payer,
    do_set_fee,
    encounter_diagnoses,
)
from chartdesk.billing.models import Charge, ChargeStatus, EncounterDiagnosis, PlaceOfService
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from tests.billing.conftest import coded, visit_on

pytestmark = pytest.mark.django_db


def test_the_billing_npi_must_pass_its_luhn_check_digit(billing_user):
    with pytest.raises(ChartdeskError) as refusal:
        do_save_organisation(acting_user=billing_user, name="X", npi="1234567890", tax_id="371234567",
                             taxonomy="207Q00000X", address_line="1 A St", city="B", state="IL",
                             zip_code="627011234", phone="2175550100", contact_name="C", submitter_id="S",
                             receiver_id="R", receiver_name="R")
    assert refusal.value.field == "npi"
    assert "1234567890" in refusal.value.message


def test_the_organisation_keeps_a_nine_digit_zip_and_digits_only_phone(organisation):
    assert organisation.zip_code == "627011234"
    assert organisation.phone == "2175550100"
    assert organisation.npi == "1234567893"


def test_a_coder_cannot_change_billing_set_up(users):
    with pytest.raises(PermissionRefused):
        do_save_payer(acting_user=users["coder"], name="P", payer_id="P1", claim_filing_indicator="CI")


def test_two_payers_cannot_share_a_payer_id(payer, billing_user):
    with pytest.raises(ChartdeskError) as refusal:
        do_save_payer(acting_user=billing_user, name="Other", payer_id="acme1", claim_filing_indicator="CI")
    assert refusal.value.field == "payer_id"


def test_a_patient_has_one_active_primary_coverage(covered_patient, payer, billing_user):
    with pytest.raises(ChartdeskError) as refusal:
        do_add_coverage(covered_patient, payer=payer, rank="primary", member_id="OTHER", acting_user=billing_user)
    assert "primary" in refusal.value.message


def test_a_dependent_coverage_needs_the_subscribers_name_and_birth_date(patient, payer, billing_user):
    with pytest.raises(ChartdeskError) as refusal:
        do_add_coverage(patient, payer=payer, rank="primary", member_id="M1", relationship="19",
                        subscriber_given_name="Rosa", acting_user=billing_user)
    assert refusal.value.field == "subscriber_family_name"


def test_the_fee_schedule_prices_a_code_with_its_modifier_first(charged_visit):
    lines = {c.code: c for c in Charge.objects.filter(encounter=charged_visit)}
    assert lines["99213"].amount == Decimal("140.00")  # the -25 fee
    assert lines["36415"].amount == Decimal("12.00")
    assert lines["99213"].modifiers == ["25"]


def test_charges_from_a_coded_encounter_keep_diagnosis_order_and_point_to_them(charged_visit):
    assert encounter_diagnoses(charged_visit) == ["E119", "I10"]
    assert [c.diagnosis_pointers for c in charged_visit.charges.all()] == [[1, 2], [1, 2]]
    assert list(charged_visit.charges.values_list("place_of_service_id", flat=True)) == ["11", "11"]


def test_a_charge_for_a_code_without_a_fee_is_refused_naming_the_code(covered_patient, organisation, fees,
                                                                       clinician, billing_user, service_day):
    encounter = visit_on(covered_patient, service_day)
    with pytest.raises(ChartdeskError) as refusal:
        do_create_charges(encounter, coded(clinician, service_day, procedures=(("99215", (), 1),)),
                          acting_user=billing_user)
    assert "99215" in refusal.value.message
    assert not Charge.objects.filter(encounter=encounter).exists()
    assert not EncounterDiagnosis.objects.filter(encounter=encounter).exists()


@pytest.mark.parametrize(("entry", "field"), [
    (ChargeInput(code="9921"), "code"),
    (ChargeInput(code="99213", modifiers=("2",)), "modifiers"),
    (ChargeInput(code="99213", modifiers=("25", "59", "76", "77", "91")), "modifiers"),
    (ChargeInput(code="99213", units=0), "units"),
    (ChargeInput(code="99213", amount="12.345"), "amount"),
    (ChargeInput(code="99213", diagnosis_pointers=(3,)), "diagnosis_pointers"),
    (ChargeInput(code="99213", diagnosis_pointers=(1, 1)), "diagnosis_pointers"),
    (ChargeInput(code="99213", place_of_service="77"), "place_of_service"),
])
def test_a_bad_charge_line_is_refused_naming_its_field(charged_visit, billing_user, entry, field):
    before = Charge.objects.count()
    with pytest.raises(ChartdeskError) as refusal:
        do_add_charge(charged_visit, entry, acting_user=billing_user)
    assert refusal.value.field == field
    assert Charge.objects.count() == before


def test_a_billing_specialist_adds_and_adjusts_a_line_by_hand(charged_visit, billing_user, clinician):
    added = do_add_charge(charged_visit, ChargeInput(code="93000", units=1, rendering_provider=clinician,
                                                     diagnosis_pointers=(2,)), acting_user=billing_user)
    assert added.amount == Decimal("40.00")
    fixed = do_adjust_charge(added, ChargeInput(code="93000", amount="45.00", rendering_provider=clinician,
                                                diagnosis_pointers=(2,)), acting_user=billing_user)
    added.refresh_from_db()
    assert added.status == ChargeStatus.VOIDED
    assert fixed.amount == Decimal("45.00")


def test_a_coder_cannot_enter_charges(charged_visit, users):
    with pytest.raises(PermissionRefused):
        do_add_charge(charged_visit, ChargeInput(code="93000"), acting_user=users["coder"])


def test_place_of_service_codes_are_installed(db):
    assert PlaceOfService.objects.get(code="11").name == "Office"
    assert PlaceOfService.objects.filter(code="23").exists()


def test_a_modifier_fee_needs_a_valid_modifier(billing_user):
    with pytest.raises(ChartdeskError) as refusal:
        do_set_fee("99213", "10.00", modifier="2!", acting_user=billing_user)
    assert refusal.value.field == "modifier"
