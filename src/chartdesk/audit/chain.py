"""The keyed hash chain: how an event is sealed, and how the whole chain is checked."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

GENESIS_HASH = "0" * 64

# The fields that are sealed, in a fixed order. Adding a field here breaks every existing chain,
# so new fields go into `detail`.
SEALED_FIELDS = (
    "sequence",
    "occurred_at",
    "user_id",
    "username",
    "role",
    "patient_id",
    "patient_mrn",
    "object_type",
    "object_id",
    "action",
    "outcome",
    "client_address",
    "channel",
    "break_the_glass_reason",
    "detail",
)


def _key() -> bytes:
    return settings.AUDIT_HMAC_KEY


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def canonical(fields: dict[str, Any]) -> bytes:
    values = {name: fields[name] for name in SEALED_FIELDS}
    when = values["occurred_at"]
    # A string is the time already spelt as isoformat() spells it (the verifier has PostgreSQL write it).
    values["occurred_at"] = when if isinstance(when, str) or when is None else when.isoformat()
    # One encoder for every event (json.dumps with options builds a new one per call); same output.
    return _ENCODER.encode(values).encode()


def entry_hash(fields: dict[str, Any], previous_hash: str) -> str:
    # hmac.digest is the one-shot HMAC of OpenSSL: the same value as hmac.new(...).hexdigest() without
    # building an HMAC object per event, which a walk of millions of events notices.
    return hmac.digest(_key(), canonical(fields) + previous_hash.encode(), "sha256").hex()


def seal_onto(previous_hash: str, events: Iterable[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], str, str]]:
    """Chain `events` (SEALED_FIELDS each, in sequence order) onto the event whose seal is `previous_hash`:
    (fields, previous hash, entry hash) per event. The one place events are chained: `record_events`
    seals with it, and the audit benchmark generates its millions of events with it, so a generated
    trail is sealed exactly as the product seals."""
    previous = previous_hash
    for fields in events:
        sealed = entry_hash(fields, previous)
        yield fields, previous, sealed
        previous = sealed


def head_seal(last_sequence: int, last_hash: str) -> str:
    return hmac.new(_key(), f"head:{last_sequence}:{last_hash}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    events_checked: int
    problem: str = ""
    first_bad_sequence: int | None = None
    last_hash: str = ""  # the seal of the last event verified, when intact


def walk_rows(rows: Iterable[dict[str, Any]], *, after_sequence: int = 0,
              after_hash: str = GENESIS_HASH) -> tuple[ChainReport | None, int, str]:
    """Check the rows in sequence order against each other and their seals, starting after event
    `after_sequence` whose seal was `after_hash`: (the first problem or None, events checked, the seal
    of the last event checked). The chain head is not looked at (see verify_rows)."""
    expected_sequence = after_sequence + 1
    previous = after_hash
    checked = 0
    for row in rows:
        sequence = row["sequence"]
        if sequence != expected_sequence:
            kind = "deleted" if sequence > expected_sequence else "inserted or reordered"
            return ChainReport(
                False,
                checked,
                f"event #{expected_sequence} is missing or out of place (found #{sequence} there): "
                f"an event was {kind}",
                expected_sequence,
            ), checked, previous
        if row["previous_hash"] != previous:
            return ChainReport(
                False,
                checked,
                f"event #{sequence} does not follow event #{sequence - 1}: "
                "an event was inserted, deleted or reordered",
                sequence,
            ), checked, previous
        if not hmac.compare_digest(entry_hash(row, previous), row["entry_hash"]):
            return ChainReport(
                False,
                checked,
                f"event #{sequence} was altered after it was written, or forged: its seal does not match",
                sequence,
            ), checked, previous
        previous = row["entry_hash"]
        expected_sequence += 1
        checked += 1
    return None, checked, previous


def verify_rows(rows: Iterable[dict[str, Any]], head: dict[str, Any] | None, *, after_sequence: int = 0,
                after_hash: str = GENESIS_HASH) -> ChainReport:
    """Walk the events in sequence order and name the first one that is not what was sealed.

    Each row is a dict of SEALED_FIELDS plus previous_hash and entry_hash. An incremental check
    starts after an event already verified (`after_sequence`, whose seal was `after_hash`); the rows
    are then the events after it.
    """
    problem, checked, previous = walk_rows(rows, after_sequence=after_sequence, after_hash=after_hash)
    if problem is not None:
        return problem
    return against_head(head, after_sequence + checked, previous, checked)


def against_head(head: dict[str, Any] | None, last_sequence: int, last_hash: str, checked: int) -> ChainReport:
    """The verdict on a chain whose events were checked up to `last_sequence` (seal `last_hash`): it
    must end where the sealed head says, or its tail was cut off."""
    if head is None:
        if last_sequence:
            return ChainReport(False, checked, "the chain head record is missing", last_sequence)
        return ChainReport(True, checked, last_hash=last_hash)
    if not hmac.compare_digest(head_seal(head["last_sequence"], head["last_hash"]), head["seal"] or ""):
        return ChainReport(False, checked, "the chain head record was altered", head["last_sequence"])
    if head["last_sequence"] != last_sequence or head["last_hash"] != last_hash:
        return ChainReport(
            False,
            checked,
            f"the chain ends at event #{last_sequence} but was sealed at event #{head['last_sequence']}: "
            f"events after #{last_sequence} were deleted",
            last_sequence + 1,
        )
    return ChainReport(True, checked, last_hash=last_hash)
