"""What the eligibility and the claim status inquiries share: reading an inbound file whole (ASCII, the
same file twice recognised by its digest), the envelope numbers and the snapshot of a person."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.utils import timezone

from chartdesk.billing.export import next_control_numbers, x12_text
from chartdesk.billing.models import BillingOrganisation, Coverage
from chartdesk.billing.x12.segments import X12Malformed
from chartdesk.billing.x12.writer270 import Envelope, Person
from chartdesk.core.errors import ChartdeskError

Parsed = TypeVar("Parsed")
NO_ORGANISATION = "Set up the billing organisation first (billing set-up): the inquiry names us as the provider."


def read_inbound(content: bytes, parse: Callable[[str], Parsed], name: str) -> tuple[str, str, Parsed]:
    """The text, its SHA-256 and what `parse` reads from it; a file that is not X12 is refused naming where."""
    refused = f"The {name} was refused and nothing was recorded: {{why}}"
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError as error:
        raise ChartdeskError(refused.format(why=f"byte {error.start + 1} is outside the X12 character set."),
                             field="file") from None
    try:
        parsed = parse(text)
    except X12Malformed as malformed:
        raise ChartdeskError(refused.format(why=str(malformed)), field="file") from None
    return text, hashlib.sha256(content).hexdigest(), parsed


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def organisation() -> BillingOrganisation:
    found = BillingOrganisation.objects.order_by("id").first()
    if found is None:
        raise ChartdeskError(NO_ORGANISATION)
    return found


def envelope() -> Envelope:
    """Fresh ISA13/GS06 from the counter the claim batches use (locked: call inside the transaction)."""
    interchange, group = next_control_numbers()
    return Envelope(interchange_control=interchange, group_control=group, created=timezone.localtime())


def people(coverage: Coverage) -> tuple[Person, Person | None]:
    """(subscriber, dependent patient or None) as the inquiry names them; a patient who is the subscriber
    is sent with the chart's current name, birth date and sex."""
    patient = coverage.patient
    if coverage.patient_is_subscriber:
        return Person(x12_text(patient.family_name), x12_text(patient.given_name), patient.birth_date,
                      patient.sex), None
    subscriber = Person(x12_text(coverage.subscriber_family_name), x12_text(coverage.subscriber_given_name),
                        coverage.subscriber_birth_date, coverage.subscriber_sex)
    return subscriber, Person(x12_text(patient.family_name), x12_text(patient.given_name), patient.birth_date,
                              patient.sex)
