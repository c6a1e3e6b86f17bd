"""Synthetic duplicate charts for the merge tests: one person registered twice, each MRN with its
own encounters, documents, names, numbers, contacts and grants."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from chartdesk.patients.merging import KEEP, merge_policy, patient_links
from tests.support import factories


def signed_note(patient: Any, provider_user: Any, *, title: str = "Visit", text: str = "Seen today.") -> Any:
    from chartdesk.charts.actions import do_create_note, do_sign_document
    from chartdesk.charts.models import DocumentType

    provider = getattr(provider_user, "provider", None) or factories.make_provider(user=provider_user)
    encounter = factories.make_encounter(patient)
    document = do_create_note(patient, document_type=DocumentType.PROGRESS_NOTE, title=title, text=text,
                              service_date=timezone.localdate() - timedelta(days=1), acting_user=provider_user,
                              encounter=encounter, author=provider)
    do_sign_document(document, acting_user=provider_user)
    document.refresh_from_db()
    return document


def full_chart(given: str, family: str, *, him: Any, provider_user: Any, grantee: Any | None = None,
               birth_date: date = date(1975, 6, 1)) -> Any:
    """A patient with at least one row of every kind the patients and charts apps know."""
    from chartdesk.patients.actions import (
        do_add_address,
        do_add_identifier,
        do_add_other_name,
        do_add_phone,
        do_grant_chart_access,
        do_record_contact,
    )
    from chartdesk.patients.schemas import AddressInput, ContactInput, IdentifierInput, NameInput

    patient = factories.make_patient(given, family, birth_date=birth_date)
    do_add_identifier(patient, IdentifierInput(type="MB", issuer="Acme Health", value=f"M{patient.pk:06d}"),
                      acting_user=him)
    do_add_other_name(patient, NameInput(family_name=f"{family}-Old", given_name=given, use="previous"),
                      acting_user=him)
    do_add_address(patient, AddressInput(line1=f"{patient.pk} Elm St", city="Springfield", state="IL",
                                         postal_code="62704"), acting_user=him)
    do_add_phone(patient, use="mobile", number=f"217555{patient.pk % 10000:04d}", acting_user=him)
    do_record_contact(patient, ContactInput(role="next_of_kin", name=f"{given} {family} Sr"), acting_user=him)
    signed_note(patient, provider_user, title=f"Visit of {given}")
    if grantee is not None:
        do_grant_chart_access(patient, grantee, reason="care team", acting_user=him)
    patient.refresh_from_db()
    return patient


def record_sets(*patients: Any) -> dict[tuple[int, str], set[Any]]:
    """For each patient and each link to Patient that a merge may move: the set of row keys."""
    sets: dict[tuple[int, str], set[Any]] = {}
    for patient in patients:
        for link in patient_links():
            if merge_policy(link.model, link.field.name) == KEEP:
                continue
            sets[(patient.pk, link.key)] = set(link.rows_of(patient.pk).values_list("pk", flat=True))
    return sets


def without_rows_added_by(sets: dict[tuple[int, str], set[Any]], events: list[Any]) -> dict[tuple[int, str], set[Any]]:
    """The record sets less the alias names and retired MRNs that `events` added (kept, retracted)."""
    added = {(move.model_label, move.object_pk) for event in events for move in event.moves.filter(kind="added")}
    return {
        (patient_pk, key): {pk for pk in rows if (key.rsplit(".", 1)[0], str(pk)) not in added}
        for (patient_pk, key), rows in sets.items()
    }
