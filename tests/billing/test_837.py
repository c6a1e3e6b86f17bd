"""Every 837P we generate passes pyx12, reads back to the same claims, and has unique envelopes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chartdesk.billing.actions import ChargeInput, do_add_charge, do_add_coverage, do_create_charges, do_create_claim
from chartdesk.billing.export import claim_data, do_export_837
from chartdesk.billing.models import Claim, ClaimStatus, X12Batch
from chartdesk.billing.remittance import do_import_835
from chartdesk.core.errors import ChartdeskError
from tests.billing.conftest import coded, visit_on
from tests.billing.remits import Paid, remit_835
from tests.support import factories
from tests.support.pyx12_check import pyx12_validate
from tests.support.reader837 import read_837

pytestmark = pytest.mark.django_db
D = Decimal
TWELVE = ("E11.9", "I10", "J45.909", "Z00.00", "E78.5", "M54.50", "R51.9", "K21.9", "F41.1", "G47.00", "N39.0",
          "L30.9")


@pytest.fixture
def varied_claims(covered_patient, organisation, fees, clinician, billing_user, service_day, payer, medicare):
    """One line; many lines with modifiers; twelve diagnoses; a dependent subscriber; a secondary claim."""
    made = []
    single = visit_on(covered_patient, service_day)
    do_create_charges(single, coded(clinician, service_day), acting_user=billing_user)
    made.append(do_create_claim(single, acting_user=billing_user))

    other = factories.make_provider("Grace", "Hopper", npi="1245319599")
    many_patient = factories.make_patient("Ruth", "Okafor", sex="F")
    do_add_coverage(many_patient, payer=payer, rank="primary", member_id="RO555", acting_user=billing_user)
    many = visit_on(many_patient, service_day)
    do_create_charges(many, coded(clinician, service_day, diagnoses=TWELVE, procedures=(
        ("99214", ("25",), 1), ("93000", ("59", "XU"), 1), ("36415", (), 1), ("80053", ("90", "91", "59", "XS"), 1),
        ("71046", ("26",), 1), ("J3420", ("JW",), 2))), acting_user=billing_user)
    do_add_charge(many, ChargeInput(code="99213", modifiers=("25",), rendering_provider=other,
                                    diagnosis_pointers=(5, 6, 7, 8)), acting_user=billing_user)
    made.append(do_create_claim(many, acting_user=billing_user))

    child = factories.make_patient("Luis", "Garcia", sex="M", birth_date=__import__("datetime").date(2015, 6, 1))
    do_add_coverage(child, payer=payer, rank="primary", member_id="XJ123456789", relationship="19",
                    subscriber_given_name="Maria", subscriber_family_name="Garcia",
                    subscriber_birth_date=covered_patient.birth_date, subscriber_sex="F",
                    subscriber_address_line="12 Elm Street", subscriber_city="Springfield", subscriber_state="IL",
                    subscriber_zip="627041234", acting_user=billing_user)
    child_visit = visit_on(child, service_day)
    do_create_charges(child_visit, coded(clinician, service_day, diagnoses=("J06.9",),
                                         procedures=(("99213", (), 1),)), acting_user=billing_user)
    made.append(do_create_claim(child_visit, acting_user=billing_user))

    do_add_coverage(covered_patient, payer=medicare, rank="secondary", member_id="1EG4TE5MK73",
                    acting_user=billing_user)
    assert all(claim.status == ClaimStatus.READY for claim in made), [list(c.findings.all()) for c in made]
    do_export_837(acting_user=billing_user)
    content = remit_835([Paid(made[0].claim_number, D("125.00"), D("80.00"),
                              [("CO", "45", D("25.00")), ("PR", "2", D("20.00"))])])
    [secondary] = do_import_835(content, acting_user=billing_user).secondary_claims
    return made + [secondary]


def test_every_generated_837p_passes_pyx12(varied_claims, billing_user):
    first = X12Batch.objects.get()
    assert pyx12_validate(first.content).errors == []
    second = do_export_837(acting_user=billing_user)  # the secondary claim, with its COB loops
    assert second.claim_count == 1
    check = pyx12_validate(second.content)
    assert check.valid, check.errors
    assert "AMT*D*80~" in second.content
    assert "CAS*CO*45*25~" in second.content
    assert "NM1*PR*2*ACME HEALTH PLAN*****PI*ACME1~" in second.content


def test_pyx12_catches_a_broken_file_so_the_check_can_fail(varied_claims):
    content = X12Batch.objects.get().content
    broken = content.replace("HI*ABK:", "HI*ABF:", 1)
    assert not pyx12_validate(broken).valid


def test_our_837p_reads_back_to_the_same_claims(varied_claims, billing_user):
    do_export_837(acting_user=billing_user)
    read = []
    for batch in X12Batch.objects.order_by("id"):
        read += read_837(batch.content).claims
    assert [c.claim_number for c in read] == [c.claim_number for c in varied_claims]
    for claim, back in zip(varied_claims, read, strict=True):
        data = claim_data(claim)
        assert back.total == claim.total_charge
        assert back.diagnoses == tuple(claim.diagnoses)
        assert back.member_id == claim.coverage.member_id
        assert back.payer_id == claim.payer.payer_id
        assert back.relationship == claim.coverage.relationship
        assert back.patient_name == (claim.patient.family_name.upper(), claim.patient.given_name.upper())
        assert back.responsibility == ("P" if claim.rank == "primary" else "S")
        assert [(x.code, x.modifiers, x.amount, x.units, x.pointers, x.service_date) for x in back.lines] == [
            (x.code, x.modifiers, x.amount, x.units, x.pointers, x.service_date) for x in data.lines
        ]
    secondary = read[-1]
    assert secondary.other_payer_paid == D("80")
    assert secondary.other_payer_adjustments == [("CO", "45", D("25")), ("PR", "2", D("20"))]
    assert len(read[1].diagnoses) == 12
    assert read[1].lines[-1].rendering_npi == "1245319599"


def test_control_numbers_are_unique_and_counted(varied_claims, billing_user):
    second = do_export_837(acting_user=billing_user)
    first = X12Batch.objects.exclude(pk=second.pk).get()
    assert (first.interchange_control, second.interchange_control) == (1, 2)
    assert (first.group_control, second.group_control) == (1, 2)
    lines = first.content.splitlines()
    st = next(n for n, line in enumerate(lines) if line.startswith("ST*"))
    se = next(n for n, line in enumerate(lines) if line.startswith("SE*"))
    assert lines[se] == f"SE*{se - st + 1}*0001~"
    assert lines[-2] == "GE*1*1~"
    assert lines[-1] == "IEA*1*000000001~"
    assert read_837(first.content).interchange_control == 1


def test_exported_claims_are_submitted_and_not_sent_twice(varied_claims, billing_user):
    assert Claim.objects.get(pk=varied_claims[0].pk).status == ClaimStatus.PAID
    assert Claim.objects.get(pk=varied_claims[1].pk).status == ClaimStatus.SUBMITTED
    do_export_837(acting_user=billing_user)
    with pytest.raises(ChartdeskError) as refusal:
        do_export_837(acting_user=billing_user)
    assert refusal.value.message == "No 837P claim is ready to send."


def test_a_claim_with_findings_is_not_exported(charged_visit, billing_user, organisation):
    organisation.npi = "1234567890"
    organisation.save()
    do_create_claim(charged_visit, acting_user=billing_user)
    with pytest.raises(ChartdeskError):
        do_export_837(acting_user=billing_user)
    assert X12Batch.objects.count() == 0
