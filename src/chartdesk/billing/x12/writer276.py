"""Writing X12 276 claim status inquiries (005010X212) from plain snapshots.

One transaction set per payer (2000A information source), our organisation as the information receiver
(2000B, ETIN) and the service provider (2000C, NPI), then per claim a subscriber level (2000D) and, for a
dependent, a patient level (2000E), each claim as one 2200 loop: TRN*1 with our trace number (echoed in
the 277), REF*EJ our patient control number (CLM01), REF*1K the payer's claim number when a 277CA or 835
gave it, AMT*T3 the claim's total charge and DTP*472 its service dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from chartdesk.billing.x12.elements import SEXES, amount, clean, interchange, name_segment, segment
from chartdesk.billing.x12.writer270 import Envelope, Person

VERSION = "005010X212"


@dataclass(frozen=True)
class StatusRequest:
    trace_number: str
    claim_number: str
    payer_claim_number: str
    payer_name: str
    payer_id: str
    member_id: str
    subscriber: Person
    dependent: Person | None
    total_charge: Decimal
    service_from: date
    service_to: date


@dataclass(frozen=True)
class Provider:
    name: str
    npi: str
    submitter_id: str
    receiver_id: str
    production: bool = False


def _demographics(person: Person) -> list[str]:
    if person.birth_date is None:
        return []
    return [segment("DMG", "D8", person.birth_date.strftime("%Y%m%d"), person.sex if person.sex in SEXES else "")]


def _claim(request: StatusRequest) -> list[str]:
    dates = (segment("DTP", "472", "D8", request.service_from.strftime("%Y%m%d"))
             if request.service_from == request.service_to else
             segment("DTP", "472", "RD8", f"{request.service_from:%Y%m%d}-{request.service_to:%Y%m%d}"))
    return [segment("TRN", "1", clean(request.trace_number)),
            *([segment("REF", "1K", clean(request.payer_claim_number))] if request.payer_claim_number else []),
            segment("REF", "EJ", clean(request.claim_number)),
            segment("AMT", "T3", amount(request.total_charge)), dates]


def _transaction(requests: list[StatusRequest], provider: Provider, control: int, envelope: Envelope) -> list[str]:
    first = requests[0]
    body = [
        segment("ST", "276", f"{control:04d}", VERSION),
        segment("BHT", "0010", "13", f"{envelope.interchange_control}{control:04d}",
                envelope.created.strftime("%Y%m%d"), envelope.created.strftime("%H%M")),
        segment("HL", 1, "", "20", "1"), name_segment("PR", "2", first.payer_name, "", "PI", first.payer_id),
        segment("HL", 2, 1, "21", "1"), name_segment("41", "2", provider.name, "", "46", provider.submitter_id),
        segment("HL", 3, 2, "19", "1"), name_segment("1P", "2", provider.name, "", "XX", provider.npi),
    ]
    number = 4
    for request in requests:
        subscriber = request.subscriber
        subscriber_name = name_segment("IL", "1", subscriber.family_name, subscriber.given_name, "MI",
                                       request.member_id)
        if request.dependent is None:
            body += [segment("HL", number, 3, "22", "0"), *_demographics(subscriber), subscriber_name,
                     *_claim(request)]
            number += 1
            continue
        dependent = request.dependent
        body += [segment("HL", number, 3, "22", "1"), subscriber_name,
                 segment("HL", number + 1, number, "23"), *_demographics(dependent),
                 segment("NM1", "QC", "1", clean(dependent.family_name), clean(dependent.given_name)),
                 *_claim(request)]
        number += 2
    body.append(segment("SE", len(body) + 1, f"{control:04d}"))
    return body


def build_276(provider: Provider, requests: list[StatusRequest], envelope: Envelope) -> str:
    """The 276 text: one transaction set per payer, in the order the payers first appear."""
    if not requests:
        raise ValueError("a 276 needs at least one claim")
    by_payer: dict[str, list[StatusRequest]] = {}
    for request in requests:
        by_payer.setdefault(request.payer_id, []).append(request)
    transactions = [_transaction(group, provider, number, envelope)
                    for number, group in enumerate(by_payer.values(), start=1)]
    return interchange(sender_id=provider.submitter_id, receiver_id=provider.receiver_id,
                       production=provider.production, created=envelope.created,
                       interchange_control=envelope.interchange_control, group_control=envelope.group_control,
                       version=VERSION, transactions=transactions, functional_id="HR")
