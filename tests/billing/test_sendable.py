"""Values an 837P cannot carry become scrubber findings with the fix named, and an export refuses a
batch holding one: nothing is substituted (a patient recorded as X was sent as DMG03 X, which
005010X222A1 does not allow, and the clearinghouse would have rejected the whole batch)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from chartdesk.billing.actions import do_add_coverage, do_create_charges, do_save_organisation
from chartdesk.billing.models import Claim, ClaimStatus, ControlNumbers, X12Batch
from chartdesk.billing.x12.writer837 import Party, _demographics, quantity
from chartdesk.patients.actions import do_update_demographics
from tests.billing.conftest import coded, visit_on
from tests.support import factories
from tests.support.pyx12_check import pyx12_validate
from tests.support.reader837 import read_837

pytestmark = pytest.mark.django_db


def chartdesk(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def bill(patient, clinician, billing_user, service_day) -> Claim:
    do_create_charges(visit_on(patient, service_day), coded(clinician, service_day), acting_user=billing_user)
    chartdesk("billing", "create-claims")
    return Claim.objects.get(patient=patient)


def findings(claim: Claim) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in claim.findings.order_by("id"):
        found.setdefault(finding.rule, []).append(finding.message)
    return found


def record(patient, users, **changes):
    patient.refresh_from_db()
    return do_update_demographics(patient, changes, expected_revision=patient.revision,
                                  acting_user=users["registrar"])


def cover(patient, payer, billing_user, **subscriber):
    fields = {"subscriber_address_line": "12 Elm Street", "subscriber_city": "Springfield",
              "subscriber_state": "IL", "subscriber_zip": "62704", **subscriber}
    return do_add_coverage(patient, payer=payer, rank="primary", member_id="XJ123456789", acting_user=billing_user,
                           **fields)


@pytest.fixture
def world(organisation, payer, fees, clinician, billing_user, service_day):
    return {"payer": payer, "clinician": clinician, "user": billing_user, "day": service_day}


def test_a_patient_recorded_as_x_is_held_with_the_fix_named_then_sent_once_corrected(world, users, client_for,
                                                                                     tmp_path):
    patient = factories.make_patient("Robin", "Hale", sex="X")
    cover(patient, world["payer"], world["user"])
    do_create_charges(visit_on(patient, world["day"]), coded(world["clinician"], world["day"]),
                      acting_user=world["user"])
    said = chartdesk("billing", "create-claims")
    assert said.startswith("1 claims created: 0 ready, 1 with findings to fix."), said
    claim = Claim.objects.get(patient=patient)
    assert claim.status == ClaimStatus.SCRUBBED
    assert findings(claim) == {"x12_sex": [
        "The patient's sex X cannot be sent on an 837P: record F, M or U on the patient's chart."]}
    with pytest.raises(CommandError, match="No 837P claim is ready"):
        chartdesk("billing", "export-837", "--out", str(tmp_path / "none.837"))

    # The fix the finding names, then a scrub from the claim's desk page.
    record(patient, users, sex="U")
    response = client_for(world["user"]).post(reverse("billing-claim", args=[claim.pk]), {"scrub": "1"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY and findings(claim) == {}
    out = tmp_path / "batch.837"
    chartdesk("billing", "export-837", "--out", str(out))
    content = out.read_text(encoding="ascii")
    assert "DMG*D8*19800315*U~" in content
    assert pyx12_validate(content).errors == []
    assert [c.claim_number for c in read_837(content).claims] == [claim.claim_number]


def test_a_chart_changed_to_x_after_the_claim_was_ready_refuses_the_whole_batch(world, users, tmp_path):
    clean = factories.make_patient("Ann", "Lee")
    changed = factories.make_patient("Sam", "Ortiz", sex="M")
    for patient in (clean, changed):
        cover(patient, world["payer"], world["user"])
        do_create_charges(visit_on(patient, world["day"]), coded(world["clinician"], world["day"]),
                          acting_user=world["user"])
    chartdesk("billing", "create-claims")
    assert set(Claim.objects.values_list("status", flat=True)) == {ClaimStatus.READY}
    counter_before = list(ControlNumbers.objects.values_list("last_interchange", "last_group"))
    record(changed, users, sex="X")
    claim = Claim.objects.get(patient=changed)

    with pytest.raises(CommandError) as refusal:
        chartdesk("billing", "export-837", "--out", str(tmp_path / "batch.837"))
    assert str(refusal.value) == (
        f"Nothing was sent: 1 claim(s) hold values an 837P cannot carry. Scrub them again to see the fix: "
        f"{claim.claim_number}. First: {claim.claim_number}: The patient's sex X cannot be sent on an 837P: "
        f"record F, M or U on the patient's chart.")
    assert set(Claim.objects.values_list("status", flat=True)) == {ClaimStatus.READY}
    assert not X12Batch.objects.exists()
    assert list(ControlNumbers.objects.values_list("last_interchange", "last_group")) == counter_before
    assert not (tmp_path / "batch.837").exists()


def test_a_dependent_recorded_as_x_is_named_as_the_patient_and_the_subscriber_is_sent(world):
    child = factories.make_patient("Kit", "Moss", birth_date=date(2015, 6, 1), sex="X")
    cover(child, world["payer"], world["user"], relationship="19", subscriber_given_name="Jo",
          subscriber_family_name="Moss", subscriber_birth_date=date(1985, 2, 2), subscriber_sex="F")
    claim = bill(child, world["clinician"], world["user"], world["day"])
    assert findings(claim) == {"x12_sex": [
        "The patient's sex X cannot be sent on an 837P: record F, M or U on the patient's chart."]}


@pytest.mark.parametrize(("state", "zip_code", "rule", "message"), [
    ("I", "62704", "x12_state", "The subscriber's state 'I' is not a US state, territory or Canadian province "
                                "code an 837P accepts: correct it on the patient's coverage."),
    ("ZZ", "62704", "x12_state", "The subscriber's state 'ZZ' is not a US state, territory or Canadian province "
                                 "code an 837P accepts: correct it on the patient's coverage."),
    ("IL", "6270", "x12_postal_code", "The subscriber's ZIP code '6270' must be 5 or 9 digits: correct it on the "
                                      "patient's coverage."),
    ("IL", "62704-12", "x12_postal_code", "The subscriber's ZIP code '62704-12' must be 5 or 9 digits: correct it "
                                          "on the patient's coverage."),
])
def test_a_subscriber_address_the_guide_cannot_carry_is_a_finding(world, state, zip_code, rule, message):
    child = factories.make_patient("Kit", "Moss", birth_date=date(2015, 6, 1))
    cover(child, world["payer"], world["user"], relationship="19", subscriber_given_name="Jo",
          subscriber_family_name="Moss", subscriber_birth_date=date(1985, 2, 2), subscriber_sex="F",
          subscriber_state=state, subscriber_zip=zip_code)
    claim = bill(child, world["clinician"], world["user"], world["day"])
    assert claim.status == ClaimStatus.SCRUBBED
    assert findings(claim) == {rule: [message]}


def test_a_canadian_subscriber_address_is_sent(world, tmp_path):
    child = factories.make_patient("Kit", "Moss", birth_date=date(2015, 6, 1))
    cover(child, world["payer"], world["user"], relationship="19", subscriber_given_name="Jo",
          subscriber_family_name="Moss", subscriber_birth_date=date(1985, 2, 2), subscriber_sex="F",
          subscriber_state="ON", subscriber_zip="K1A0B1")
    claim = bill(child, world["clinician"], world["user"], world["day"])
    assert claim.status == ClaimStatus.READY, findings(claim)
    out = tmp_path / "batch.837"
    chartdesk("billing", "export-837", "--out", str(out))
    assert pyx12_validate(out.read_text(encoding="ascii")).errors == []


def test_a_name_with_letters_x12_cannot_spell_is_a_finding_not_a_blank(world):
    patient = factories.make_patient("Wei", "李")
    cover(patient, world["payer"], world["user"])
    claim = bill(patient, world["clinician"], world["user"], world["day"])
    assert findings(claim) == {"x12_name": [
        "The patient's family name is empty in the X12 character set: correct it on the patient's chart.",
        "The patient's family name '李' has letters an 837P cannot carry (李): record it in Latin letters, as on "
        "the insurance card, on the patient's chart.",
    ]}


def test_accented_names_are_spelled_in_ascii_without_a_finding(world):
    patient = factories.make_patient("Zoë", "Núñez-Strauß")
    cover(patient, world["payer"], world["user"])
    assert bill(patient, world["clinician"], world["user"], world["day"]).status == ClaimStatus.READY


def test_a_birth_date_after_the_service_is_a_finding(world, users):
    patient = factories.make_patient("Ann", "Lee")
    cover(patient, world["payer"], world["user"])
    do_create_charges(visit_on(patient, world["day"]), coded(world["clinician"], world["day"]),
                      acting_user=world["user"])
    born = world["day"] + timedelta(days=3)  # a wrong date of birth, entered after the visit
    record(patient, users, birth_date=born)
    chartdesk("billing", "create-claims")
    claim = Claim.objects.get(patient=patient)
    assert findings(claim)["x12_date"] == [
        f"The patient's date of birth {born:%Y-%m-%d} is after the service on {world['day']:%Y-%m-%d}: correct it "
        f"on the patient's chart."]


def test_an_organisation_state_the_guide_does_not_know_holds_every_claim(world, billing_user):
    do_save_organisation(
        acting_user=billing_user, name="Prairie Family Medicine", npi="1234567893", tax_id="371234567",
        taxonomy="207Q00000X", address_line="100 Main Street", city="Springfield", state="ZZ",
        zip_code="62701-1234", phone="217-555-0100", contact_name="Billing Office", submitter_id="PFM0001",
        receiver_id="CLEARHOUSE1", receiver_name="Example Clearinghouse",
    )
    patient = factories.make_patient("Ann", "Lee")
    cover(patient, world["payer"], world["user"])
    claim = bill(patient, world["clinician"], world["user"], world["day"])
    assert findings(claim) == {"x12_state": [
        "The billing provider's state 'ZZ' is not a US state, territory or Canadian province code an 837P "
        "accepts: correct it in the billing organisation set-up."]}


def test_the_writer_never_substitutes_a_sex_and_never_rounds_units():
    born = date(1980, 3, 15)
    assert _demographics(Party("LEE", sex="U", birth_date=born)) == ["DMG*D8*19800315*U~"]
    for sex in ("X", "", "u"):
        with pytest.raises(ValueError, match="cannot be sent in DMG03"):
            _demographics(Party("LEE", sex=sex, birth_date=born))
    assert [quantity(Decimal(v)) for v in ("1", "1.50", "2.25", "10", "100.00")] == ["1", "1.5", "2.25", "10",
                                                                                     "100"]
