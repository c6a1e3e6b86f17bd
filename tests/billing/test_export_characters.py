"""Names and addresses outside ASCII reach the 837P in the X12 character set, and an export that cannot
write its file marks no claim submitted."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from chartdesk.billing.actions import do_add_coverage, do_create_charges, do_create_claims
from chartdesk.billing.export import x12_text
from chartdesk.billing.models import Claim, ClaimStatus
from chartdesk.patients.schemas import AddressInput
from tests.billing.conftest import coded, visit_on
from tests.support import factories
from tests.support.pyx12_check import pyx12_validate
from tests.support.reader837 import read_837

pytestmark = pytest.mark.django_db


def test_accented_letters_lose_their_marks_and_other_letters_are_spelled_out():
    assert x12_text("Zoë Núñez-Strauß") == "Zoe Nunez-Strauss"
    assert x12_text("Øystein Łukasz") == "Oystein Lukasz"
    assert x12_text("Calle Añil 5") == "Calle Anil 5"
    assert x12_text("O'Brien") == "O'Brien"


def test_a_character_with_no_ascii_letter_becomes_a_space():
    assert x12_text("李 Wei") == "  Wei"


@given(st.text())
def test_whatever_the_text_the_result_is_ascii_and_ascii_text_is_kept_as_it_is(text):
    assert x12_text(text).isascii()
    if text.isascii():
        assert x12_text(text) == text


@pytest.fixture
def accented_claim(organisation, payer, fees, clinician, billing_user, service_day):
    patient = factories.make_patient(
        "Zoë", "Núñez-Strauß",
        addresses=(AddressInput(line1="Calle Añil 5", city="Peñasco", state="NM", postal_code="87553"),),
    )
    do_add_coverage(patient, payer=payer, rank="primary", member_id="XJ123456789", group_number="GRP-77",
                    subscriber_address_line="Calle Añil 5", subscriber_city="Peñasco", subscriber_state="NM",
                    subscriber_zip="87553", acting_user=billing_user)
    encounter = visit_on(patient, service_day)
    do_create_charges(encounter, coded(clinician, service_day), acting_user=billing_user)
    [claim] = do_create_claims(acting_user=billing_user).created
    assert claim.status == ClaimStatus.READY
    return claim


def export(out) -> str:
    said = io.StringIO()
    call_command("billing", "export-837", "--out", str(out), stdout=said)
    return said.getvalue()


def test_a_patient_with_accents_is_exported_in_the_x12_character_set(accented_claim, tmp_path):
    out = tmp_path / "batch.837"
    export(out)
    content = out.read_text(encoding="ascii")
    assert pyx12_validate(content).errors == []
    [sent] = read_837(content).claims
    assert sent.claim_number == accented_claim.claim_number
    assert sent.subscriber_name == ("NUNEZ-STRAUSS", "ZOE")
    assert "N3*CALLE ANIL 5~" in content and "N4*PENASCO*NM*87553" in content


def test_an_export_that_cannot_write_its_file_marks_no_claim_submitted(accented_claim, tmp_path):
    with pytest.raises(CommandError, match="no claim was marked submitted"):
        export(tmp_path / "no-such-folder" / "batch.837")
    assert Claim.objects.get(pk=accented_claim.pk).status == ClaimStatus.READY
    assert not (tmp_path / "no-such-folder").exists()
