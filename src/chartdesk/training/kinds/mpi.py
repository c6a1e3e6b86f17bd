"""MPI clean-up: find the duplicates in a sandbox index, merge the true ones, leave the look-alikes.

Done on the real desk: build registers the exercise's patients through the patients app; the student
searches, compares and merges on the merge screen; answer_from_records reads the merges (not undone)
back as pairs of the exercise's record labels.

Exercise setup: {"patients": [{"ref": "P1", "given_name": "William", "family_name": "Hart",
  "middle_name": "", "birth_date": "1961-04-07", "sex": "M", "ssn": "", "phone": "617-555-0134",
  "address": {"line1": "...", "city": "...", "state": "MA", "postal_code": "02139"}}]}
Key: {"duplicates": [{"records": ["P1", "P4"], "why": "..."}], "look_alikes": [{"records": ["P2", "P6"], "why": "..."}]}
Answer: {"merges": [["P1", "P4"]]}: each merge as [survivor, retired].
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from chartdesk.training.grading import AnswerError, Exercise, ExerciseKind, FeedbackItem, Grade, register_kind
from chartdesk.training.kinds._common import field, only_known, require_list, sandbox_staff

MERGE_RULE = (
    "Merge only records that belong to one person (AHIMA MPI guidance): confirm identity on date of birth, "
    "sex, SSN, address and phone together, allowing for nicknames, typing slips and swapped day and month."
)
OVERLAY_RULE = (
    "Two people who look alike (twins, a father and son, common names) are not duplicates: merging them makes "
    "an overlay, one chart mixing two people's care, the most dangerous error in an index."
)


def _refs(exercise: Exercise) -> list[str]:
    return [str(person["ref"]) for person in exercise.setup.get("patients", [])]


def read_merges(exercise: Exercise, answer: Mapping[str, Any]) -> list[tuple[str, str]]:
    merges = require_list(field(answer, "merges", "the answer"), "'merges'")
    refs = _refs(exercise)
    pairs: list[tuple[str, str]] = []
    retired: set[str] = set()
    for position, merge in enumerate(merges, start=1):
        where = f"merge {position}"
        if not isinstance(merge, list) or len(merge) != 2 or not all(isinstance(ref, str) for ref in merge):
            raise AnswerError(f"{where} must be [survivor, retired], two record labels")
        survivor, duplicate = merge
        only_known(merge, refs, where)
        if survivor == duplicate:
            raise AnswerError(f"{where}: a record cannot be merged into itself")
        if survivor in retired or duplicate in retired:
            raise AnswerError(f"{where}: {survivor if survivor in retired else duplicate} was already merged away")
        retired.add(duplicate)
        pairs.append((survivor, duplicate))
    return pairs


def _people(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Each record's chart after the merges: the record it finally survives in."""
    into = {duplicate: survivor for survivor, duplicate in pairs}

    def final(ref: str) -> str:
        while ref in into:
            ref = into[ref]
        return ref

    return {ref: final(ref) for pair in pairs for ref in pair}


def grade(exercise: Exercise, answer: Mapping[str, Any]) -> Grade:
    pairs = read_merges(exercise, answer)
    chart_of = _people(pairs)

    def together(records: list[str]) -> bool:
        return len({chart_of.get(ref, ref) for ref in records}) == 1

    items = []
    same_person: list[set[str]] = []
    for duplicate in exercise.key["duplicates"]:
        records = list(duplicate["records"])
        same_person.append(set(records))
        merged = together(records)
        items.append(FeedbackItem(
            f"Duplicate {' and '.join(records)}", 1.0 if merged else 0.0, 1.0,
            f"{'Merged' if merged else 'Not merged'}: these are one person. {duplicate['why']} {MERGE_RULE} "
            f"Right answer: merge {' and '.join(records)}.",
        ))
    for look_alike in exercise.key["look_alikes"]:
        records = list(look_alike["records"])
        apart = not together(records)
        items.append(FeedbackItem(
            f"Look-alike {' and '.join(records)}", 1.0 if apart else 0.0, 1.0,
            f"{'Left apart' if apart else 'Merged: an overlay'}. {look_alike['why']} {OVERLAY_RULE} "
            f"Right answer: leave {' and '.join(records)} as separate patients.",
        ))
    wrong = [pair for pair in pairs if not any(set(pair) <= people for people in same_person)
             and not any(set(pair) <= set(look["records"]) for look in exercise.key["look_alikes"])]
    items.append(FeedbackItem(
        "No other records merged", 0.0 if wrong else 1.0, 1.0,
        (f"Merged records that are not the same person: {'; '.join(' into '.join(reversed(pair)) for pair in wrong)}. "
         if wrong else "No unrelated records merged. ") + OVERLAY_RULE,
    ))
    return Grade(tuple(items))


def _registration(person: Mapping[str, Any]) -> Any:
    from chartdesk.patients.schemas import AddressInput, IdentifierInput, PatientRegistration

    address = person.get("address")
    identifiers = tuple(IdentifierInput(type=kind, issuer=issuer, value=value)
                        for kind, issuer, value in person.get("identifiers", []))
    return PatientRegistration(
        given_name=person["given_name"], family_name=person["family_name"],
        middle_name=person.get("middle_name", ""), birth_date=date.fromisoformat(person["birth_date"]),
        sex=person["sex"], ssn=person.get("ssn", ""),
        phones=(("home", person["phone"]),) if person.get("phone") else (),
        addresses=(AddressInput(**address),) if address else (), identifiers=identifiers,
    )


def build(exercise: Exercise) -> None:
    """Register the exercise's patients (true duplicates and look-alikes alike) in the sandbox."""
    from chartdesk.patients.actions import do_register_patient

    registrar = sandbox_staff("registrar")
    for person in exercise.setup["patients"]:
        do_register_patient(_registration(person), acting_user=registrar)


def _patients_by_ref(exercise: Exercise) -> dict[str, Any]:
    """The sandbox patient each record label was registered as: the latest registration with its
    demographics (a retired record keeps its own demographics, so a merge does not lose it)."""
    from chartdesk.patients.models import Patient

    found = {}
    for person in exercise.setup["patients"]:
        match = Patient.objects.filter(
            given_name=person["given_name"], family_name=person["family_name"],
            middle_name=person.get("middle_name", ""), birth_date=date.fromisoformat(person["birth_date"]),
            sex=person["sex"],
        ).order_by("-pk").first()
        if match is None:
            raise AnswerError(f"record {person['ref']} of exercise {exercise.id} is not in this sandbox")
        found[person["ref"]] = match
    return found


def answer_from_records(exercise: Exercise) -> dict[str, Any]:
    """The merges the student made (and did not undo), oldest first, as [survivor, retired] labels."""
    from chartdesk.patients.models import MergeEvent

    refs = {patient.pk: ref for ref, patient in _patients_by_ref(exercise).items()}
    events = MergeEvent.objects.filter(unmerged_at__isnull=True, survivor_id__in=refs,
                                       retired_id__in=refs).order_by("merged_at", "pk")
    return {"merges": [[refs[event.survivor_id], refs[event.retired_id]] for event in events]}


def start_url(exercise: Exercise) -> str:
    from django.urls import reverse

    return reverse("patients-search")


def key_answer(exercise: Exercise) -> dict[str, Any]:
    """The key as a full-marks answer: each duplicate set merged into its first record (the look-alikes,
    left apart, are no merge)."""
    merges = []
    for duplicate in require_list(exercise.key["duplicates"], "duplicates"):
        records = [str(label) for label in require_list(duplicate["records"], "duplicates: records")]
        merges += [[records[0], retired] for retired in records[1:]]
    require_list(exercise.key["look_alikes"], "look_alikes")
    return {"merges": merges}


MPI = register_kind(ExerciseKind(
    name="mpi",
    title="MPI clean-up: merge the true duplicates, leave the look-alikes",
    grade=grade,
    build=build,
    answer_from_records=answer_from_records,
    start_url=start_url,
    answer_help='{"merges": [["P1", "P4"]]}: each merge as [survivor, retired], by the exercise\'s record labels.',
    key_answer=key_answer,
))
