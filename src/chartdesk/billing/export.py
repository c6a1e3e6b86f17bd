"""From claims in the database to an 837P (or, through `write_batch`, an 837I) batch: snapshots, control
numbers and the batch record."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db import transaction

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.billing.cob import PrimaryAdjudication, primary_adjudication
from chartdesk.billing.corrections import next_submission
from chartdesk.billing.models import (
    BillingOrganisation,
    Claim,
    ClaimKind,
    ClaimStatus,
    ControlNumbers,
    Coverage,
    CoverageRank,
    Payer,
    X12Batch,
)
from chartdesk.billing.x12.sendable import Problem, claim_problems, organisation_problems
from chartdesk.billing.x12.writer837 import (
    ClaimData,
    Envelope,
    LineData,
    OrganisationData,
    OtherPayerData,
    Party,
    PriorLinePayment,
    ProviderData,
    build_837,
)
from chartdesk.charts.models import Provider
from chartdesk.core import clock
from chartdesk.core.errors import ChartdeskError, PermissionRefused

NOTHING_READY = "No {name} claim is ready to send."
NO_ORGANISATION = "Set up the billing organisation first."
UNSENDABLE = ("Nothing was sent: {count} claim(s) hold values an {name} cannot carry. Scrub them again to see "
              "the fix: {claims}. First: {first}")

# Letters NFKD does not take apart into a base letter and marks.
_SPELLED_OUT = str.maketrans({"ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Ø": "O", "ø": "o",
                              "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Þ": "TH", "þ": "th", "ı": "i"})


def x12_text(value: str) -> str:
    """`value` in the X12 character set, which is ASCII: Núñez becomes Nunez, Strauß Strauss, and any
    other character outside ASCII a space. Done per field, before the writer removes separators, so
    no decomposed character can turn into a delimiter inside the file."""
    if value.isascii():
        return value
    letters = unicodedata.normalize("NFKD", value.translate(_SPELLED_OUT))
    kept = "".join(char for char in letters if not unicodedata.combining(char))
    return "".join(char if char.isascii() else " " for char in kept)


def x12_lost(value: str) -> str:
    """The characters of `value` that `x12_text` cannot spell in ASCII (they would become spaces)."""
    if value.isascii():
        return ""
    lost = [char for char in value if not char.isspace() and x12_text(char).strip() == ""]
    return "".join(dict.fromkeys(lost))


def organisation_data(organisation: BillingOrganisation) -> OrganisationData:
    return OrganisationData(
        name=x12_text(organisation.name), npi=organisation.npi, tax_id=organisation.tax_id,
        taxonomy=organisation.taxonomy, address_line=x12_text(organisation.address_line),
        city=x12_text(organisation.city), state=organisation.state, zip_code=organisation.zip_code,
        contact_name=x12_text(organisation.contact_name), phone=organisation.phone,
        submitter_id=organisation.submitter_id, receiver_id=organisation.receiver_id,
        receiver_name=x12_text(organisation.receiver_name), production=organisation.production,
    )


def _provider(provider: Provider | None) -> ProviderData | None:
    if provider is None:
        return None
    return ProviderData(family_name=x12_text(provider.family_name), given_name=x12_text(provider.given_name),
                        npi=provider.npi)


def _subscriber(coverage: Coverage) -> Party:
    """The subscriber as the coverage records it; a patient who is the subscriber is sent with the
    chart's current sex and date of birth (the coverage copied them when it was added, and a correction
    on the chart must reach the claim)."""
    birth_date: date | None
    if coverage.patient_is_subscriber:
        patient = coverage.patient
        birth_date, sex = patient.birth_date, patient.sex
    else:
        birth_date, sex = coverage.subscriber_birth_date, coverage.subscriber_sex
    return Party(
        family_name=x12_text(coverage.subscriber_family_name), given_name=x12_text(coverage.subscriber_given_name),
        identifier=x12_text(coverage.member_id), address_line=x12_text(coverage.subscriber_address_line),
        city=x12_text(coverage.subscriber_city),
        state=coverage.subscriber_state, zip_code=coverage.subscriber_zip, birth_date=birth_date, sex=sex,
    )


def _payer(payer: Payer) -> Party:
    return Party(family_name=x12_text(payer.name), identifier=payer.payer_id,
                 address_line=x12_text(payer.address_line), city=x12_text(payer.city), state=payer.state,
                 zip_code=payer.zip_code)


def _patient_party(claim: Claim) -> Party:
    patient = claim.patient
    address = patient.addresses.filter(active=True).order_by("id").first()
    coverage = claim.coverage
    return Party(
        family_name=x12_text(patient.family_name), given_name=x12_text(patient.given_name),
        address_line=x12_text(address.line1 if address else coverage.subscriber_address_line),
        city=x12_text(address.city if address else coverage.subscriber_city),
        state=address.state if address else coverage.subscriber_state,
        zip_code=(address.postal_code if address else coverage.subscriber_zip).replace("-", ""),
        birth_date=patient.birth_date, sex=patient.sex,
    )


def _other_payer(claim: Claim, adjudication: PrimaryAdjudication | None) -> OtherPayerData | None:
    primary = claim.primary_claim
    if primary is None or adjudication is None:
        return None
    coverage = primary.coverage
    return OtherPayerData(
        responsibility="P", relationship=coverage.relationship, group_number=x12_text(coverage.group_number),
        filing_indicator=primary.payer.claim_filing_indicator, subscriber=_subscriber(coverage),
        payer=_payer(primary.payer), paid_amount=adjudication.payment.paid_amount,
        adjustments=adjudication.claim_adjustments, adjudication_date=adjudication.adjudication_date,
    )


def _prior_payments(adjudication: PrimaryAdjudication | None) -> dict[int, PriorLinePayment]:
    """Each line's 2430 loop, by claim line id: only when every line reconciles (see cob)."""
    if adjudication is None or not adjudication.line_level:
        return {}
    return {
        row.line.pk: PriorLinePayment(paid=row.service.paid_amount, units=row.service.units,
                                      adjustments=row.adjustments, adjudication_date=adjudication.adjudication_date)
        for row in adjudication.lines if row.service is not None
    }


def claim_data(claim: Claim) -> ClaimData:
    """A snapshot of `claim` as the 837P writer needs it."""
    adjudication = primary_adjudication(claim) if claim.primary_claim_id else None
    if adjudication is not None:
        lines = [row.line for row in adjudication.lines]
    else:
        lines = list(claim.lines.filter(superseded=False).select_related("rendering_provider")
                     .order_by("line_number"))
    priors = _prior_payments(adjudication)
    rendering = _provider(lines[0].rendering_provider) if lines else None
    referring = _provider(lines[0].charge.referring_provider) if lines else None
    coverage = claim.coverage
    frequency, payer_claim_number = next_submission(claim)
    return ClaimData(
        claim_number=claim.claim_number, total=claim.total_charge, place_of_service=claim.place_of_service,
        responsibility="P" if claim.rank == CoverageRank.PRIMARY else "S", relationship=coverage.relationship,
        group_number=x12_text(coverage.group_number), filing_indicator=claim.payer.claim_filing_indicator,
        subscriber=_subscriber(coverage), patient=_patient_party(claim), payer=_payer(claim.payer),
        diagnoses=tuple(claim.diagnoses),
        lines=tuple(
            LineData(code=line.code, modifiers=tuple(line.modifiers), amount=line.amount, units=line.units,
                     pointers=tuple(line.diagnosis_pointers), service_date=line.service_date,
                     place_of_service=line.place_of_service, rendering=_provider(line.rendering_provider),
                     prior_payment=priors.get(line.pk))
            for line in lines
        ),
        rendering=rendering, referring=referring, other_payer=_other_payer(claim, adjudication),
        frequency=frequency, payer_claim_number=x12_text(payer_claim_number),
    )


def next_control_numbers() -> tuple[int, int]:
    """The next ISA13 and GS06, never used before (the counter row is locked while we take them)."""
    counter, _ = ControlNumbers.objects.select_for_update().get_or_create(id=1)
    counter.last_interchange = counter.last_interchange % 999_999_999 + 1
    counter.last_group = counter.last_group % 999_999_999 + 1
    counter.save(update_fields=["last_interchange", "last_group"])
    return counter.last_interchange, counter.last_group


Snapshot = TypeVar("Snapshot")


@dataclass(frozen=True)
class ClaimFormat(Generic[Snapshot]):
    """What differs between the 837P and the 837I batch: the claims it takes, how a claim is snapshot,
    what the guide refuses, and the writer."""

    kind: str
    name: str  # 837P or 837I
    snapshot: Callable[[Claim], Snapshot]
    problems: Callable[[Snapshot, date], list[Problem]]
    build: Callable[[OrganisationData, list[Snapshot], Envelope], str]


PROFESSIONAL = ClaimFormat[ClaimData](
    kind=ClaimKind.PROFESSIONAL, name="837P", snapshot=lambda claim: claim_data(claim),
    problems=lambda snapshot, today: claim_problems(snapshot, today=today), build=build_837,
)


def _refuse_unsendable(organisation: OrganisationData, ready: list[Claim], snapshots: list[Snapshot],
                       claim_format: ClaimFormat[Snapshot]) -> None:
    """A claim made ready before its chart or set-up changed may now hold a value the guide does not
    allow: the batch is refused whole (nothing marked, no control number kept) rather than sent with
    a substitute."""
    problems = organisation_problems(organisation)
    if problems:
        raise ChartdeskError(f"Nothing was sent: {problems[0].message}")
    today = clock.localdate()
    bad = [(claim, found) for claim, snapshot in zip(ready, snapshots, strict=True)
           if (found := claim_format.problems(snapshot, today))]
    if bad:
        claims = ", ".join(claim.claim_number for claim, _ in bad[:10]) + (" and more" if len(bad) > 10 else "")
        first_claim, first = bad[0]
        raise ChartdeskError(UNSENDABLE.format(count=len(bad), name=claim_format.name, claims=claims,
                                               first=f"{first_claim.claim_number}: {first[0].message}"))


def do_export_837(*, acting_user: Any, claims: list[Claim] | None = None) -> X12Batch:
    """Write every ready professional claim (or the given ready ones) into one 837P interchange."""
    return write_batch(PROFESSIONAL, acting_user=acting_user, claims=claims)


def write_batch(claim_format: ClaimFormat[Snapshot], *, acting_user: Any, claims: list[Claim] | None = None
                ) -> X12Batch:
    """Write every ready claim of the format's kind (or the given ready ones) into one interchange and mark
    them submitted. The batch keeps the exact text sent, its SHA-256 and its control numbers (unique in
    the database)."""
    if acting_user is None or not getattr(acting_user, "is_authenticated", False) or not acting_user.has_perm(
        "billing.work_claims"
    ):
        raise PermissionRefused("You do not have permission to send claims.")
    organisation = BillingOrganisation.objects.order_by("id").first()
    if organisation is None:
        raise ChartdeskError(NO_ORGANISATION)
    with transaction.atomic():
        query = Claim.objects.select_for_update(of=("self",)).filter(status=ClaimStatus.READY,
                                                                     kind=claim_format.kind)
        if claims is not None:
            query = query.filter(pk__in=[c.pk for c in claims])
        ready = list(query.select_related("patient", "coverage", "payer", "primary_claim").order_by("id"))
        if not ready:
            raise ChartdeskError(NOTHING_READY.format(name=claim_format.name))
        sender = organisation_data(organisation)
        snapshots = [claim_format.snapshot(claim) for claim in ready]
        _refuse_unsendable(sender, ready, snapshots, claim_format)
        interchange, group = next_control_numbers()
        envelope = Envelope(interchange_control=interchange, group_control=group, created=clock.localtime())
        content = claim_format.build(sender, snapshots, envelope)
        batch = X12Batch.objects.create(
            interchange_control=interchange, group_control=group, kind=claim_format.kind,
            transaction_sets=len(envelope.transaction_controls), claim_count=len(ready),
            total_charge=sum((c.total_charge for c in ready), Decimal("0.00")), content=content,
            sha256=hashlib.sha256(content.encode()).hexdigest(), created_by=acting_user,
        )
        now = clock.now()
        Claim.objects.filter(pk__in=[c.pk for c in ready]).update(
            status=ClaimStatus.SUBMITTED, submitted_at=now, batch=batch
        )
        record_event(AuditAction.EXPORT, user=acting_user, object_type="x12_batch", object_id=batch.pk,
                     detail={"isa": interchange, "format": claim_format.name,
                             "claims": [c.claim_number for c in ready]})
    return batch
