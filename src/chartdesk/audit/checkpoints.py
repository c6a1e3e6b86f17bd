"""Checkpoints: the chain's head, sealed and written outside the database, so that a database put
back to an earlier state (its tail cut and an older head row restored, or a whole older copy) no
longer verifies.

The hash chain proves that the events present are the events written, in order; it cannot prove that
none are missing from the end when the head row went back with them. A checkpoint (sequence, hash,
time, HMAC seal) written where the database's owner cannot rewrite it together with the database
(an append-only file on another volume, a remote syslog server) remembers how far the chain had got.
`audit verify` reads the checkpoints and fails when the database lacks an event one of them saw,
until an administrator acknowledges a legitimate restore (`audit acknowledge-restore`, audited).

Writing is off the hot path: `record_events` calls `note_head` with the new head, which costs two
comparisons; only every AUDIT_CHECKPOINT_EVERY events, or when the last checkpoint of this process is
older than AUDIT_CHECKPOINT_MINUTES, does it schedule one write, on commit (a rolled-back event is
never checkpointed, and the writer never holds the head lock while touching the disk).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import logging.handlers
import os
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

logger = logging.getLogger("chartdesk.audit")
SYSLOG_TAG = "chartdesk-audit-checkpoint"


@dataclass(frozen=True)
class Checkpoint:
    sequence: int
    hash: str
    at: str  # ISO 8601, UTC
    where: str = ""  # "file:line" it was read from, for messages

    @property
    def key(self) -> tuple[int, str]:
        return (self.sequence, self.hash)


def seal(sequence: int, chain_hash: str, at: str) -> str:
    return hmac.new(settings.AUDIT_HMAC_KEY, f"checkpoint:{sequence}:{chain_hash}:{at}".encode(),
                    hashlib.sha256).hexdigest()


def line_for(sequence: int, chain_hash: str, at: str) -> str:
    return json.dumps({"sequence": sequence, "hash": chain_hash, "at": at, "seal": seal(sequence, chain_hash, at)},
                      separators=(",", ":"))


# --------------------------------------------------------------------------- writing


class _Due:
    """When this process last scheduled a checkpoint, per target file (tests switch targets)."""

    def __init__(self) -> None:
        self.last: dict[str, tuple[int, float]] = {}

    def check(self, sequence: int) -> bool:
        target = str(settings.AUDIT_CHECKPOINT_PATH or "") + "|" + str(settings.AUDIT_CHECKPOINT_SYSLOG or "")
        last = self.last.get(target)
        now = time.monotonic()
        if (last is not None and sequence - last[0] < settings.AUDIT_CHECKPOINT_EVERY
                and now - last[1] < settings.AUDIT_CHECKPOINT_MINUTES * 60):
            return False
        self.last[target] = (sequence, now)
        return True


_due = _Due()


def enabled() -> bool:
    from chartdesk.core.context import in_practice_database

    # A training sandbox's chain is not the legal record's: its heads must not enter the main
    # database's checkpoints, where `audit verify` would find events the database lacks.
    if in_practice_database():
        return False
    return bool(settings.AUDIT_CHECKPOINT_PATH or settings.AUDIT_CHECKPOINT_SYSLOG)


def note_head(sequence: int, chain_hash: str) -> None:
    """Called by record_events under the head lock with the head it is about to commit."""
    if enabled() and _due.check(sequence):
        transaction.on_commit(lambda: write_checkpoint(sequence, chain_hash))


def write_checkpoint(sequence: int, chain_hash: str) -> Checkpoint | None:
    """Write one checkpoint to every configured target. Failures are logged, never raised: the events
    are committed already, and the next checkpoint covers them (a monitoring alert on the log line
    is how a full or read-only checkpoint volume gets noticed)."""
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    line = line_for(sequence, chain_hash, at)
    written = False
    if settings.AUDIT_CHECKPOINT_PATH:
        try:
            _append(Path(settings.AUDIT_CHECKPOINT_PATH), line)
            written = True
        except OSError as problem:
            logger.error("audit checkpoint #%s not written to %s: %s", sequence, settings.AUDIT_CHECKPOINT_PATH,
                         problem)
    if settings.AUDIT_CHECKPOINT_SYSLOG:
        try:
            _send_syslog(str(settings.AUDIT_CHECKPOINT_SYSLOG), line)
            written = True
        except OSError as problem:
            logger.error("audit checkpoint #%s not sent to syslog %s: %s", sequence,
                         settings.AUDIT_CHECKPOINT_SYSLOG, problem)
    return Checkpoint(sequence, chain_hash, at) if written else None


def _append(path: Path, line: str) -> None:
    # O_APPEND: every write lands at the end even with several processes writing; the file may carry
    # the append-only attribute (chattr +a), which allows exactly this and nothing else.
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, (line + "\n").encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _syslog_address(target: str) -> Any:
    if target.startswith("/"):
        return target
    host, _, port = target.rpartition(":")
    return (host or target, int(port) if port.isdecimal() else 514)


def _send_syslog(target: str, line: str) -> None:
    handler = logging.handlers.SysLogHandler(address=_syslog_address(target), socktype=socket.SOCK_DGRAM,
                                             facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV)
    try:
        record = logging.LogRecord("chartdesk.audit", logging.INFO, __file__, 0, f"{SYSLOG_TAG}: {line}", None, None)
        handler.emit(record)
    finally:
        handler.close()


# --------------------------------------------------------------------------- reading


class CheckpointProblem(Exception):
    """A checkpoint line that is not what Chartdesk wrote (damaged, or forged without the key)."""


def read_checkpoints(paths: Iterable[Path]) -> Iterator[Checkpoint]:
    """Every checkpoint in the files, in file order. Lines from a syslog export are accepted as they
    come (the JSON object is taken from the first "{"); a line whose seal does not match raises."""
    for path in paths:
        if not path.exists():
            continue
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, text in enumerate(lines, start=1):
                start = text.find("{")
                if start < 0 or (SYSLOG_TAG not in text and start > 0):
                    continue
                where = f"{path.name}:{number}"
                try:
                    fields = json.loads(text[start:text.rfind("}") + 1])  # syslog may append a NUL
                    sequence, chain_hash, at = int(fields["sequence"]), str(fields["hash"]), str(fields["at"])
                    sealed = str(fields["seal"])
                except (ValueError, KeyError, TypeError):
                    raise CheckpointProblem(f"checkpoint {where} is damaged: not a checkpoint record") from None
                if not hmac.compare_digest(seal(sequence, chain_hash, at), sealed):
                    raise CheckpointProblem(f"checkpoint {where} is not sealed with the audit key: forged or altered")
                yield Checkpoint(sequence, chain_hash, at, where)


def configured_paths() -> list[Path]:
    return [Path(settings.AUDIT_CHECKPOINT_PATH)] if settings.AUDIT_CHECKPOINT_PATH else []
