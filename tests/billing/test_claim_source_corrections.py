"""Correcting a claim not yet sent through what it was built from: a charge line (its page), the
encounter's diagnoses, and the coverage against the insurance card; the claim follows and is scrubbed
again. Bad input is refused naming the field, with nothing changed; other roles and restricted charts
are refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from chartdesk.billing.actions import do_create_claim, do_save_payer
from chartdesk.billing.models import Charge, ChargeStatus, ClaimStatus
from chartdesk.patients.actions import do_set_restriction
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(charged_visit: Any, billing_user: Any) -> Any:
    return do_create_claim(charged_visit, acting_user=billing_user)


def line_form(charge: Charge, **changes: Any) -> dict[str, Any]:
    return {"code": charge.code, "modifiers": " ".join(charge.modifiers), "units": str(charge.units),
            "amount": str(charge.amount), "pointers": " ".join(str(p) for p in charge.diagnosis_pointers),
            "service_date": charge.service_date.isoformat(), "place_of_service": charge.place_of_service_id,
            "rendering_provider": charge.rendering_provider_id, **changes}


def test_a_corrected_line_replaces_its_charge_keeps_its_place_and_the_claim_is_scrubbed_again(
        claim, billing_user, client_for):
    first = claim.lines.get(line_number=1).charge
    response = client_for(billing_user).post(reverse("billing-charge", kwargs={"charge_id": first.pk}),
                                             line_form(first, units="2", amount="280.00"))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == ChargeStatus.VOIDED
    lines = list(claim.lines.filter(superseded=False).order_by("line_number"))
    assert [(line.line_number, line.code, str(line.units), str(line.amount)) for line in lines] == [
        (1, "99213", "2.00", "280.00"), (2, "36415", "1.00", "12.00")]
    claim.refresh_from_db()
    assert claim.total_charge == 292 and claim.status == ClaimStatus.READY


def test_a_line_with_no_units_is_refused_naming_the_units_and_nothing_changes(claim, billing_user, client_for):
    first = claim.lines.get(line_number=1).charge
    response = client_for(billing_user).post(reverse("billing-charge", kwargs={"charge_id": first.pk}),
                                             line_form(first, units="0"))
    assert response.status_code == 400
    assert "Units must be a number above 0" in response.content.decode()
    first.refresh_from_db()
    assert first.status == ChargeStatus.ACTIVE and Charge.objects.count() == 2


def test_diagnoses_saved_on_the_charges_page_go_onto_the_claim_not_yet_sent(claim, billing_user, client_for):
    response = client_for(billing_user).post(
        reverse("billing-encounter-charges", kwargs={"encounter_id": claim.encounter_id}), {"codes": "I10 E11.9"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.diagnoses == ["I10", "E119"] and claim.status == ClaimStatus.READY


def test_the_coverage_corrected_from_the_card_moves_the_open_claim_to_its_payer(claim, billing_user, client_for):
    other = do_save_payer(acting_user=billing_user, name="Bluewater", payer_id="BWHP1", claim_filing_indicator="CI")
    response = client_for(billing_user).post(reverse("billing-coverage", kwargs={"coverage_id": claim.coverage_id}),
                                             {"payer": other.pk, "member_id": " BW555 ", "group_number": ""})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.coverage.member_id, claim.coverage.payer_id, claim.payer_id) == ("BW555", other.pk, other.pk)
    assert claim.status == ClaimStatus.READY


def test_a_coverage_without_member_id_is_refused_and_nothing_changes(claim, billing_user, client_for):
    response = client_for(billing_user).post(reverse("billing-coverage", kwargs={"coverage_id": claim.coverage_id}),
                                             {"payer": claim.payer_id, "member_id": "  "})
    assert response.status_code == 400
    claim.coverage.refresh_from_db()
    assert claim.coverage.member_id == "XJ123456789"


@pytest.mark.parametrize("role", ["coder", "registrar", "roi", "him_manager"])
def test_roles_that_do_not_work_claims_are_refused_both_pages(role, claim, client_for):
    client = client_for(factories.make_user(role))
    charge = claim.lines.first().charge
    assert client.get(reverse("billing-charge", kwargs={"charge_id": charge.pk})).status_code == 403
    assert client.post(reverse("billing-coverage", kwargs={"coverage_id": claim.coverage_id}),
                       {"payer": claim.payer_id, "member_id": "X1"}).status_code == 403
    claim.coverage.refresh_from_db()
    assert claim.coverage.member_id == "XJ123456789"


def test_a_restricted_chart_answers_not_found_on_both_pages(claim, billing_user, users, client_for):
    do_set_restriction(claim.patient, restriction="vip", note="board member", acting_user=users["privacy_officer"])
    client = client_for(billing_user)
    charge = claim.lines.first().charge
    assert client.get(reverse("billing-charge", kwargs={"charge_id": charge.pk})).status_code == 404
    assert client.post(reverse("billing-coverage", kwargs={"coverage_id": claim.coverage_id}),
                       {"payer": claim.payer_id, "member_id": "X1"}).status_code == 404
    assert client.get(reverse("billing-charge", kwargs={"charge_id": 999999})).status_code == 404
