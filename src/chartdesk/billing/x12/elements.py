"""The building blocks both claim writers share (837P and 837I): separators, element text, the
common segments (names, addresses, demographics, providers, adjustments) and the interchange envelope."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

SEXES = ("F", "M", "U")  # DMG03 in the subscriber and patient loops of both guides
ELEMENT, COMPONENT, REPETITION, TERMINATOR = "*", ":", "^", "~"
MAX_CLAIMS_PER_TRANSACTION = 5000
_UNSAFE = re.compile(r"[*:^~\r\n]")


@dataclass(frozen=True)
class Party:
    """A person or organisation with an address (subscriber, patient, payer)."""

    family_name: str
    given_name: str = ""
    identifier: str = ""
    address_line: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    birth_date: date | None = None
    sex: str = ""


@dataclass(frozen=True)
class ProviderData:
    family_name: str
    given_name: str
    npi: str


def clean(value: object) -> str:
    """Element text: no separators, no lowercase surprises, trimmed."""
    return _UNSAFE.sub(" ", str(value)).strip().upper()


def amount(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.01")), "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return text or "0"


def quantity(value: Decimal) -> str:
    """A unit count as it is, never rounded (x12/sendable.py refuses one the guide cannot carry)."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def segment(*elements: object) -> str:
    fields = [str(e) for e in elements]
    while len(fields) > 1 and fields[-1] == "":
        fields.pop()
    return ELEMENT.join(fields) + TERMINATOR


def name_segment(code: str, entity: str, family: str, given: str, qualifier: str, ident: str) -> str:
    return segment("NM1", code, entity, clean(family), clean(given), "", "", "", qualifier if ident else "",
                    clean(ident))


def address(party: Party) -> list[str]:
    if not party.address_line:
        return []
    return [segment("N3", clean(party.address_line)),
            segment("N4", clean(party.city), clean(party.state), clean(party.zip_code))]


def demographics(party: Party) -> list[str]:
    if party.birth_date is None:
        return []
    if party.sex not in SEXES:
        # Never substituted: the scrubber and the export name the fix (x12/sendable.py) before we get here.
        raise ValueError(f"sex {party.sex!r} cannot be sent in DMG03 (F, M or U)")
    return [segment("DMG", "D8", party.birth_date.strftime("%Y%m%d"), party.sex)]


def provider_segment(code: str, provider: ProviderData) -> str:
    return segment("NM1", code, "1", clean(provider.family_name), clean(provider.given_name), "", "", "", "XX",
                    provider.npi)


def adjustment_segments(adjustments: tuple[tuple[str, str, Decimal], ...]) -> list[str]:
    """CAS segments: one per group (in the order met), up to six reason/amount pairs each."""
    segments: list[str] = []
    by_group: dict[str, list[tuple[str, Decimal]]] = {}
    for group, reason, value in adjustments:
        by_group.setdefault(group, []).append((reason, value))
    for group, reasons in by_group.items():
        for start in range(0, len(reasons), 6):
            elements: list[str] = []
            for reason, value in reasons[start:start + 6]:
                elements += [clean(reason), amount(value), ""]
            segments.append(segment("CAS", group, *elements))
    return segments




def interchange(*, sender_id: str, receiver_id: str, production: bool, created: datetime, interchange_control: int,
                group_control: int, version: str, transactions: list[list[str]], functional_id: str = "HC") -> str:
    """ISA/GS around already-built transaction sets (ST..SE), one segment per line. GS01 names what the
    group holds: HC claims, HS eligibility inquiries (270), HR claim status inquiries (276)."""
    sender, receiver = clean(sender_id), clean(receiver_id)
    head = [
        segment("ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ", receiver.ljust(15),
                created.strftime("%y%m%d"), created.strftime("%H%M"), REPETITION, "00501",
                f"{interchange_control:09d}", "0", "P" if production else "T", COMPONENT),
        segment("GS", functional_id, sender, receiver, created.strftime("%Y%m%d"), created.strftime("%H%M"),
                group_control, "X", version),
    ]
    body = [line for transaction in transactions for line in transaction]
    tail = [segment("GE", len(transactions), group_control), segment("IEA", "1", f"{interchange_control:09d}")]
    return "\n".join(head + body + tail) + "\n"


def in_transactions(claims: list, build: Callable[[list, int], list[str]]) -> list[list[str]]:
    """Transaction sets of at most MAX_CLAIMS_PER_TRANSACTION claims each, numbered from 1."""
    chunks = [claims[i:i + MAX_CLAIMS_PER_TRANSACTION] for i in range(0, len(claims), MAX_CLAIMS_PER_TRANSACTION)]
    return [build(chunk, number) for number, chunk in enumerate(chunks, start=1)]
