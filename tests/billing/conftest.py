"""A small billing world: organisation, payers, fees, a covered patient and a charged visit."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from chartdesk.billing.actions import (
    do_add_coverage,
    do_create_charges,
    do_save_organisation,
    do_save_payer,
    do_set_fee,
)
from chartdesk.billing.schemas import CodedDiagnosis, CodedEncounter, CodedProcedure
from tests.support import factories

FEES = {"99213": "125.00", "99214": "180.00", "93000": "40.00", "36415": "12.00", "J3420": "30.00",
        "99203": "150.00", "71046": "90.00", "80053": "55.00"}


@pytest.fixture
def billing_user(users: dict[str, Any]) -> Any:
    return users["billing"]


@pytest.fixture
def organisation(billing_user: Any) -> Any:
    return do_save_organisation(
        acting_user=billing_user, name="Prairie Family Medicine", npi="1234567893", tax_id="371234567",
        taxonomy="207Q00000X", address_line="100 Main Street", city="Springfield", state="IL",
        zip_code="62701-1234", phone="217-555-0100", contact_name="Billing Office", submitter_id="PFM0001",
        receiver_id="CLEARHOUSE1", receiver_name="Example Clearinghouse",
    )


@pytest.fixture
def payer(billing_user: Any) -> Any:
    return do_save_payer(acting_user=billing_user, name="Acme Health Plan", payer_id="ACME1",
                         claim_filing_indicator="CI", timely_filing_days=90)


@pytest.fixture
def medicare(billing_user: Any) -> Any:
    return do_save_payer(acting_user=billing_user, name="Medicare Part B", payer_id="MCRB1",
                         claim_filing_indicator="MB", timely_filing_days=365)


@pytest.fixture
def fees(billing_user: Any) -> None:
    for code, charge in FEES.items():
        do_set_fee(code, charge, acting_user=billing_user)
    do_set_fee("99213", "140.00", modifier="25", acting_user=billing_user)


@pytest.fixture
def clinician(db: Any) -> Any:
    return factories.make_provider("Ada", "Lovelace", npi="1245319599")


@pytest.fixture
def covered_patient(patient: Any, payer: Any, billing_user: Any) -> Any:
    do_add_coverage(patient, payer=payer, rank="primary", member_id="XJ123456789", group_number="GRP-77",
                    subscriber_address_line="12 Elm Street", subscriber_city="Springfield", subscriber_state="IL",
                    subscriber_zip="62704", acting_user=billing_user)
    return patient


def visit_on(patient: Any, when: date) -> Any:
    admit = timezone.make_aware(datetime(when.year, when.month, when.day, 9, 30))
    return factories.make_encounter(patient, "outpatient", admit_at=admit)


def coded(clinician: Any, when: date, diagnoses: tuple[str, ...] = ("E11.9", "I10"),
          procedures: tuple[tuple[str, tuple[str, ...], int], ...] = (("99213", (), 1),)) -> CodedEncounter:
    return CodedEncounter(
        diagnoses=[CodedDiagnosis(code, poa="", principal=n == 0) for n, code in enumerate(diagnoses)],
        procedures=[CodedProcedure(code, system="CPT", modifiers=mods, units=units, date=when, provider=clinician)
                    for code, mods, units in procedures],
    )


@pytest.fixture
def service_day() -> date:
    return timezone.localdate() - timedelta(days=10)


@pytest.fixture
def charged_visit(covered_patient: Any, organisation: Any, fees: Any, clinician: Any, billing_user: Any,
                  service_day: date) -> Any:
    encounter = visit_on(covered_patient, service_day)
    do_create_charges(encounter, coded(clinician, service_day,
                                       procedures=(("99213", ("25",), 1), ("36415", (), 1))),
                      acting_user=billing_user)
    return encounter


# The coding desk's staff (a coder, and Dr Lovelace who attends), for the coded stays institutional claims bill.
from tests.coding.workflow.conftest import staff  # noqa: E402, F401
