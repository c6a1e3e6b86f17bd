"""The coding queue reads payers and DNFB charges from billing, and says once that CPT is not loaded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chartdesk.billing.actions import (
    ChargeInput,
    do_add_charge,
    do_add_coverage,
    do_save_payer,
    do_set_diagnoses,
)
from chartdesk.coding.workflow.queue import QueueFilters, coding_queue, dnfb_summary, payers_in_queue
from tests.coding.workflow.conftest import finished_encounter
from tests.support import factories

pytestmark = pytest.mark.django_db


def test_payer_comes_from_coverage_the_filter_lists_billing_payers_and_dnfb_counts_charges(code_sets, staff,
                                                                                        client_for):
    biller = factories.make_user("billing")
    acme = do_save_payer(acting_user=biller, name="Acme Health Plan", payer_id="ACME1",
                         claim_filing_indicator="CI", timely_filing_days=90)
    do_save_payer(acting_user=biller, name="Prairie Medicaid", payer_id="PMCD1", claim_filing_indicator="MC",
                  timely_filing_days=365)
    visit = finished_encounter(staff, encounter_class="outpatient", days_ago=2, payer=("MB", "Old Plan Inc"))
    do_add_coverage(visit.patient, payer=acme, rank="primary", member_id="XJ123456789", acting_user=biller)
    # A biller may charge a visit by hand before coding finishes it: those dollars wait in DNFB.
    do_set_diagnoses(visit, ["I10"], acting_user=biller)
    do_add_charge(visit, ChargeInput(code="99213", amount="140.00"), acting_user=biller)
    stay = finished_encounter(staff, days_ago=4, payer=("MC", "Medicare"))

    queue = coding_queue(QueueFilters())
    assert {encounter.pk: encounter.payer for encounter in queue} == {visit.pk: "Acme Health Plan",
                                                                       stay.pk: "Medicare"}
    assert payers_in_queue() == ["Acme Health Plan", "Medicare", "Prairie Medicaid"]
    assert [encounter.pk for encounter in coding_queue(QueueFilters(payer="Acme Health Plan"))] == [visit.pk]
    assert {line.encounter_class: line.charges for line in dnfb_summary()} == {
        "outpatient": Decimal("140.00"), "inpatient": Decimal("0.00")}

    page = client_for(staff.coder).get("/coding/work/").content.decode()
    assert '<option value="Prairie Medicaid">' in page
    assert 'data-dnfb-charges="outpatient">140.00<' in page
    assert "No licensed CPT release is loaded" in page and page.count("data-cpt-notice") == 1
    assert "does not record yet" not in page and "no coverage records yet" not in page
    screen = client_for(staff.coder).get(f"/coding/work/encounter/{visit.pk}/").content.decode()
    assert "CPT release" not in screen
