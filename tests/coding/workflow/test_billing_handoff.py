"""A coder completes an encounter; `create-claims` charges it from the fee schedule and bills it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from chartdesk.billing.actions import (
    do_add_coverage,
    do_create_claims,
    do_save_organisation,
    do_save_payer,
    do_set_fee,
)
from chartdesk.billing.from_coding import NOTHING_TO_CHARGE, billing_codes_of
from chartdesk.billing.models import Charge, Claim
from chartdesk.coding.workflow.actions import (
    do_add_diagnosis,
    do_add_procedure,
    do_complete_coding,
    do_start_coding,
)
from tests.coding.workflow.conftest import finished_encounter
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing_office(db):
    clerk = factories.make_user("billing")
    do_save_organisation(
        acting_user=clerk, name="Prairie Family Medicine", npi="1234567893", tax_id="371234567",
        taxonomy="207Q00000X", address_line="100 Main Street", city="Springfield", state="IL",
        zip_code="627011234", phone="217-555-0100", contact_name="Billing Office", submitter_id="PFM0001",
        receiver_id="CLEARHOUSE1", receiver_name="Example Clearinghouse",
    )
    payer = do_save_payer(acting_user=clerk, name="Acme Health Plan", payer_id="ACME1",
                          claim_filing_indicator="CI", timely_filing_days=90)
    do_set_fee("99213", "125.00", acting_user=clerk)
    return clerk, payer


def _coded_visit(staff, code_sets, *, procedure: tuple[str, str] | None = ("cpt", "99213")):
    encounter = finished_encounter(staff, encounter_class="outpatient", days_ago=2)
    case = do_start_coding(encounter, acting_user=staff.coder)
    do_add_diagnosis(case, "I50.9", acting_user=staff.coder)
    do_add_diagnosis(case, "E11.9", acting_user=staff.coder)
    if procedure:
        visit_day = timezone.localtime(encounter.admit_at).date()
        do_add_procedure(case, system=procedure[0], code=procedure[1], performed_on=visit_day,
                         provider=staff.doctor.provider, acting_user=staff.coder)
    do_complete_coding(case, acting_user=staff.coder)
    return encounter


def test_a_coded_visit_is_charged_from_the_fee_schedule_and_claimed(staff, code_sets, billing_office):
    clerk, payer = billing_office
    encounter = _coded_visit(staff, code_sets)
    do_add_coverage(encounter.patient, payer=payer, rank="primary", member_id="XJ123456789", group_number="G-1",
                    subscriber_address_line="12 Elm Street", subscriber_city="Springfield",
                    subscriber_state="IL", subscriber_zip="62704", acting_user=clerk)

    codes = billing_codes_of(encounter)
    assert [d.code for d in codes.diagnoses] == ["I509", "E119"] and codes.diagnoses[0].principal
    assert [(p.code, p.system, p.provider) for p in codes.procedures] == [("99213", "CPT", staff.doctor.provider)]

    run = do_create_claims(acting_user=clerk)

    assert run.refused == []
    claim = Claim.objects.get(encounter=encounter)
    assert claim in run.created
    charge = Charge.objects.get(encounter=encounter)
    assert (charge.code, charge.amount, charge.place_of_service_id) == ("99213", Decimal("125.00"), "11")
    assert do_create_claims(acting_user=clerk).created == []  # charged and claimed once


def test_a_visit_still_being_coded_is_not_charged(staff, code_sets, billing_office):
    clerk, _payer = billing_office
    encounter = finished_encounter(staff, encounter_class="outpatient", days_ago=2)
    case = do_start_coding(encounter, acting_user=staff.coder)
    do_add_diagnosis(case, "I50.9", acting_user=staff.coder)

    assert billing_codes_of(encounter) is None
    do_create_claims(acting_user=clerk)
    assert not Charge.objects.filter(encounter=encounter).exists()


def test_a_coded_visit_without_a_professional_line_is_listed_with_the_reason(staff, code_sets, billing_office):
    clerk, _payer = billing_office
    encounter = _coded_visit(staff, code_sets, procedure=None)

    run = do_create_claims(acting_user=clerk)

    assert (encounter.account_number, NOTHING_TO_CHARGE) in run.refused
    assert not Charge.objects.filter(encounter=encounter).exists()
