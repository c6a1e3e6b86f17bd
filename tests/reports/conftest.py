"""A small department whose figures are known by hand (see each test for the count).

Encounters are opened through the charts action; the later steps (discharge, coding, charges,
claims, release requests, completion records) are written with the exact dates the hand count
uses, since the actions stamp "now" and a report counts by date. All dates are in March 2025 and
the months around it, long past, so "now" never cuts a period short.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from chartdesk.billing.models import Charge, Claim, ClaimStatus, Coverage, Payer
from chartdesk.charts.models import Encounter, EncounterStatus
from chartdesk.coding.workflow.models import CaseStatus, CodingCase, PhysicianQuery, ReviewChange
from chartdesk.completion.models import ChartCompletion, ChartStatus
from chartdesk.disclosures.models import ReleaseRequest, RequestStatus
from tests.support import factories


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def stay(patient: Any, discharged: date, *, service: str = "Medicine", location: str = "4 West",
         account: str = "") -> Any:
    encounter = factories.make_encounter(patient, "inpatient", admit_at=at(discharged, 8), service=service,
                                         location=location, account_number=account or None)
    Encounter.objects.filter(pk=encounter.pk).update(status=EncounterStatus.FINISHED, discharge_at=at(discharged))
    return Encounter.objects.get(pk=encounter.pk)


def case(encounter: Any, *, status: str, coded: date | None = None, coder: Any = None, **fields: Any) -> Any:
    return CodingCase.objects.create(encounter=encounter, status=status, coded_at=at(coded) if coded else None,
                                     coded_by=coder if coded else None, **fields)


@dataclass
class Department:
    manager: Any
    coder: Any
    biller: Any
    roi: Any
    a: Any  # discharged 3 Mar, never coded
    b: Any  # discharged 10 Mar, query open since 12 Mar
    c: Any  # discharged 5 Mar, coded 8 Mar, no charges
    d: Any  # discharged 1 Mar, coded 4 Mar, $150 charged 6 Mar, claim held by the scrubber
    e: Any  # discharged 20 Feb, coded 22 Feb, $200 charged 25 Feb, claim sent 15 Mar
    f: Any  # discharged 10 Apr


@pytest.fixture
def department(db: Any) -> Department:
    manager = factories.make_user("him_manager", username="boss")
    coder = factories.make_user("coder", username="coder-ann", first_name="Ann", last_name="Coder")
    provider = factories.make_provider()
    payer = Payer.objects.create(name="Acme Health", payer_id="ACME1", claim_filing_indicator="CI")
    people = [factories.make_patient("Pat", f"Person{letter}") for letter in "ABCDEF"]
    for person in people:
        Coverage.objects.create(patient=person, payer=payer, rank="primary", member_id=f"M{person.pk}")
    a = stay(people[0], date(2025, 3, 3), account="ACC-A")
    b = stay(people[1], date(2025, 3, 10), service="Surgery", account="ACC-B")
    c = stay(people[2], date(2025, 3, 5), account="ACC-C")
    d = stay(people[3], date(2025, 3, 1), account="ACC-D")
    e = stay(people[4], date(2025, 2, 20), account="ACC-E")
    f = stay(people[5], date(2025, 4, 10), account="ACC-F")

    on_hold = case(b, status=CaseStatus.ON_HOLD)
    PhysicianQuery.objects.create(case=on_hold, provider=provider, template="clarify", asked_by=coder,
                                  asked_at=at(date(2025, 3, 12)))
    case(c, status=CaseStatus.CODED, coded=date(2025, 3, 8), coder=coder, codes_submitted=3,
         started_at=at(date(2025, 3, 8), 9))
    case(d, status=CaseStatus.CODED, coded=date(2025, 3, 4), coder=coder, codes_submitted=2,
         started_at=at(date(2025, 3, 4), 11).replace(minute=30), reviewed_at=at(date(2025, 3, 6)),
         reviewed_by=manager)
    reviewed = CodingCase.objects.get(encounter=d)
    ReviewChange.objects.create(case=reviewed, coder=coder, reviewer=manager, kind=ReviewChange.Kind.CHANGED,
                                system="icd10cm", before="I10", after="I110")
    case(e, status=CaseStatus.CODED, coded=date(2025, 2, 22), coder=coder, codes_submitted=1)

    d_charge = _charge(d, Decimal("150.00"), date(2025, 3, 6))
    e_charge = _charge(e, Decimal("200.00"), date(2025, 2, 25))
    coverage = Coverage.objects.get(patient=d.patient)
    Claim.objects.create(claim_number="CLM-D", encounter=d, patient=d.patient, coverage=coverage, payer=payer,
                         rank="primary", status=ClaimStatus.SCRUBBED, place_of_service="11",
                         total_charge=d_charge.amount, created_at=at(date(2025, 3, 7)))
    coverage = Coverage.objects.get(patient=e.patient)
    Claim.objects.create(claim_number="CLM-E", encounter=e, patient=e.patient, coverage=coverage, payer=payer,
                         rank="primary", status=ClaimStatus.SUBMITTED, place_of_service="11",
                         total_charge=e_charge.amount, created_at=at(date(2025, 3, 1)),
                         submitted_at=at(date(2025, 3, 15)))
    return Department(manager, coder, factories.make_user("billing", username="biller"),
                      factories.make_user("roi", username="roi"), a, b, c, d, e, f)


def _charge(encounter: Any, amount: Decimal, day: date) -> Any:
    return Charge.objects.create(encounter=encounter, patient=encounter.patient, code="99223", amount=amount,
                                 service_date=day, place_of_service_id="11", created_at=at(day))


@pytest.fixture
def completions(department: Department) -> list[Any]:
    """Discharges: January 2, February 4 (with E), March 3; delinquent at the end of March: two records.

    One more record, delinquent since 10 March but completed on 20 March, is not delinquent at the
    month's end."""
    person = factories.make_patient("Del", "Inquent")
    rows = []

    def record(discharged: date, *, delinquent: date | None = None, completed: date | None = None) -> None:
        encounter = stay(person, discharged)
        status = ChartStatus.COMPLETE if completed else ChartStatus.DELINQUENT if delinquent else ChartStatus.INCOMPLETE
        rows.append(ChartCompletion.objects.create(
            encounter=encounter, patient=person, discharge_at=at(discharged), status=status,
            delinquent_since=at(delinquent) if delinquent else None, completed_at=at(completed) if completed else None))

    record(date(2025, 1, 5), delinquent=date(2025, 2, 4))  # still delinquent at the end of March
    record(date(2025, 1, 20), delinquent=date(2025, 2, 19), completed=date(2025, 4, 3))  # completed after March
    record(date(2025, 2, 1), delinquent=date(2025, 3, 3), completed=date(2025, 3, 20))  # completed in March
    record(date(2025, 2, 10))
    record(date(2025, 2, 11))
    record(date(2025, 2, 12))
    record(date(2025, 3, 2), completed=date(2025, 3, 9))
    record(date(2025, 3, 15))
    record(date(2025, 3, 16))
    return rows


@pytest.fixture
def release_requests(department: Department) -> list[Any]:
    """March 2025: R1 received 1 Mar, released 11 Mar (10 days, on time); R2 received 1 Feb, due 3 Mar,
    released 5 Mar (32 days, late); R3 received 20 Mar, released 2 Apr (April)."""
    person = department.a.patient

    def request(number: str, received: date, due: date, released: date | None, requester: str = "patient") -> Any:
        return ReleaseRequest.objects.create(
            number=number, patient=person, requester_type=requester, requester_name="Someone", purpose="access",
            received_on=received, due_on=due, status=RequestStatus.RELEASED if released else RequestStatus.LOGGED,
            released_at=at(released) if released else None)

    return [request("R1", date(2025, 3, 1), date(2025, 3, 31), date(2025, 3, 11)),
            request("R2", date(2025, 2, 1), date(2025, 3, 3), date(2025, 3, 5), requester="attorney"),
            request("R3", date(2025, 3, 20), date(2025, 4, 19), date(2025, 4, 2))]
