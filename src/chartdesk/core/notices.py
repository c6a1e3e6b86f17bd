"""Changes other systems are told about: a domain action announces each one inside its own
transaction, and the listeners apps register from their AppConfig (interop's outbound HL7 queue)
write what they need in that same transaction. Core imports no app, so the domain apps announce
without knowing who listens, and a change rolled back takes its notice with it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class Change:
    PERSON_REGISTERED = "person_registered"
    PERSON_UPDATED = "person_updated"
    VISIT_REGISTERED = "visit_registered"
    VISIT_UPDATED = "visit_updated"
    PATIENTS_MERGED = "patients_merged"


@dataclass(frozen=True)
class ChangeNotice:
    kind: str  # one of Change
    patient: Any
    acting_user: Any
    encounter: Any = None
    retired: Any = None  # for a merge: the patient merged into `patient`


_listeners: list[Callable[[ChangeNotice], None]] = []


def listen(listener: Callable[[ChangeNotice], None]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def announce(kind: str, *, patient: Any, acting_user: Any, encounter: Any = None, retired: Any = None) -> None:
    """Tell the listeners of a change; call it inside the action's transaction, after its writes."""
    notice = ChangeNotice(kind, patient, acting_user, encounter, retired)
    for listener in _listeners:
        listener(notice)
