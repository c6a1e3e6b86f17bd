"""The access layer other apps ask before disclosing to a health plan (45 CFR 164.522(a)(1)(vi)).

A patient who paid for a service in full out of pocket may require that it not be disclosed to their
health plan for payment or operations, and the provider must agree. Billing (claims) and releases to
a payer call `health_plan_disclosure_blocked(encounter)` and leave the encounter out when it answers
True. Confidential communications (164.522(b)) are read with `confidential_contact(patient)`.
"""

from __future__ import annotations

from typing import Any

from chartdesk.disclosures.models import PrivacyRestriction, RestrictionKind, RestrictionStatus


def health_plan_disclosure_blocked(encounter: Any) -> bool:
    """True when an agreed self-pay restriction forbids telling the health plan about this encounter."""
    if encounter is None:
        return False
    return PrivacyRestriction.objects.filter(
        encounter_id=encounter.pk, kind=RestrictionKind.SELF_PAY, status=RestrictionStatus.AGREED
    ).exists()


def blocked_encounter_ids(patient: Any) -> set[int]:
    """The encounters of `patient` that may not be disclosed to a health plan (one query for a whole release)."""
    return set(
        PrivacyRestriction.objects.filter(
            patient_id=patient.pk, kind=RestrictionKind.SELF_PAY, status=RestrictionStatus.AGREED,
            encounter__isnull=False,
        ).values_list("encounter_id", flat=True)
    )


def confidential_contact(patient: Any) -> str:
    """The alternative address or phone the patient asked communications to go to ("" when none)."""
    agreed = (
        PrivacyRestriction.objects.filter(
            patient_id=patient.pk, kind=RestrictionKind.CONFIDENTIAL_COMMUNICATION, status=RestrictionStatus.AGREED
        )
        .order_by("-decided_at")
        .first()
    )
    return agreed.alternative_contact if agreed else ""
