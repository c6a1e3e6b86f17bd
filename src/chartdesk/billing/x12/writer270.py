"""Writing X12 270 eligibility inquiries (005010X279A1) from plain snapshots.

One interchange, one functional group (GS01 HS), one transaction set per payer (the information source,
loop 2000A), our organisation as the information receiver (2000B, NPI), and one subscriber level (2000C)
per coverage asked about. The trace number (TRN, 2000C or 2000D) is ours, unique per request; the payer
echoes it in the 271 so that each answer finds its coverage. A dependent without a member ID of their own
is asked about in the dependent loop (2000D) under the subscriber, as the guide asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from chartdesk.billing.x12.elements import SEXES, clean, interchange, name_segment, segment

VERSION = "005010X279A1"
HEALTH_BENEFIT_PLAN_COVERAGE = "30"  # EQ01: the general question, answered with the plan's benefits


@dataclass(frozen=True)
class Person:
    family_name: str
    given_name: str
    birth_date: date | None
    sex: str


@dataclass(frozen=True)
class EligibilityRequest:
    trace_number: str
    payer_name: str
    payer_id: str
    member_id: str
    group_number: str
    subscriber: Person
    dependent: Person | None  # the patient, when the patient is not the subscriber
    service_date: date


@dataclass(frozen=True)
class Receiver:
    """Us, the provider asking (2100B), and the envelope's parties."""

    name: str
    npi: str
    tax_id: str
    submitter_id: str
    receiver_id: str
    production: bool = False


@dataclass(frozen=True)
class Envelope:
    interchange_control: int
    group_control: int
    created: datetime


def originator(receiver: Receiver) -> str:
    """TRN03: '1' and the EIN identify the company that made the trace number."""
    return "1" + clean(receiver.tax_id)


def _person_segments(person: Person, service_date: date) -> list[str]:
    found = []
    if person.birth_date is not None:
        # DMG03 is optional here: a sex the guide cannot carry is left out rather than guessed.
        sex = person.sex if person.sex in SEXES else ""
        found.append(segment("DMG", "D8", person.birth_date.strftime("%Y%m%d"), sex))
    found += [segment("DTP", "291", "D8", service_date.strftime("%Y%m%d")),
              segment("EQ", HEALTH_BENEFIT_PLAN_COVERAGE)]
    return found


def _subscriber_levels(request: EligibilityRequest, receiver: Receiver, number: int) -> tuple[list[str], int]:
    trace = segment("TRN", "1", clean(request.trace_number), originator(receiver))
    subscriber = request.subscriber
    nm1 = name_segment("IL", "1", subscriber.family_name, subscriber.given_name, "MI", request.member_id)
    group = [segment("REF", "6P", clean(request.group_number))] if request.group_number else []
    if request.dependent is None:
        lines = [segment("HL", number, 2, "22", "0"), trace, nm1, *group,
                 *_person_segments(subscriber, request.service_date)]
        return lines, number + 1
    dependent = request.dependent
    lines = [segment("HL", number, 2, "22", "1"), nm1, *group,
             segment("HL", number + 1, number, "23", "0"), trace,
             segment("NM1", "03", "1", clean(dependent.family_name), clean(dependent.given_name)),
             *_person_segments(dependent, request.service_date)]
    return lines, number + 2


def _transaction(requests: list[EligibilityRequest], receiver: Receiver, control: int, envelope: Envelope
                 ) -> list[str]:
    first = requests[0]
    body = [
        segment("ST", "270", f"{control:04d}", VERSION),
        segment("BHT", "0022", "13", f"{envelope.interchange_control}{control:04d}",
                envelope.created.strftime("%Y%m%d"), envelope.created.strftime("%H%M")),
        segment("HL", 1, "", "20", "1"),
        name_segment("PR", "2", first.payer_name, "", "PI", first.payer_id),
        segment("HL", 2, 1, "21", "1"),
        name_segment("1P", "2", receiver.name, "", "XX", receiver.npi),
    ]
    number = 3
    for request in requests:
        lines, number = _subscriber_levels(request, receiver, number)
        body += lines
    body.append(segment("SE", len(body) + 1, f"{control:04d}"))
    return body


def build_270(receiver: Receiver, requests: list[EligibilityRequest], envelope: Envelope) -> str:
    """The 270 text: one transaction set per payer, in the order the payers first appear."""
    if not requests:
        raise ValueError("a 270 needs at least one request")
    by_payer: dict[str, list[EligibilityRequest]] = {}
    for request in requests:
        by_payer.setdefault(request.payer_id, []).append(request)
    transactions = [_transaction(group, receiver, number, envelope)
                    for number, group in enumerate(by_payer.values(), start=1)]
    return interchange(sender_id=receiver.submitter_id, receiver_id=receiver.receiver_id,
                       production=receiver.production, created=envelope.created,
                       interchange_control=envelope.interchange_control, group_control=envelope.group_control,
                       version=VERSION, transactions=transactions, functional_id="HS")
