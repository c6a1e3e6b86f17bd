"""Checkpoints outside the database catch what the chain alone cannot: the trail cut back together
with its head row (issue 11, item 7). Written as events are recorded, every N events or M minutes,
on commit; on demand with `chartdesk audit checkpoint`; to a file and to syslog."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chartdesk.audit import checkpoints
from chartdesk.audit.models import AuditEvent, ChainHead
from chartdesk.audit.verify import verify_chain
from tests.audit.attacks import TABLE, drop_triggers, sql, write_events

pytestmark = pytest.mark.django_db


def _file(settings) -> Path:
    return Path(settings.AUDIT_CHECKPOINT_PATH)


def _sequences(settings) -> list[int]:
    return [checkpoint.sequence for checkpoint in checkpoints.read_checkpoints([_file(settings)])]


def _verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _broken() -> str:
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", stdout=io.StringIO(), stderr=io.StringIO())
    assert failure.value.returncode == 1
    return str(failure.value)


def test_a_checkpoint_is_written_on_commit_every_n_events(settings, django_capture_on_commit_callbacks):
    settings.AUDIT_CHECKPOINT_EVERY, settings.AUDIT_CHECKPOINT_MINUTES = 5, 60
    with django_capture_on_commit_callbacks(execute=True):
        events = write_events(12)
    first = events[0].sequence
    # The process's first event is anchored at once, then every fifth.
    assert _sequences(settings) == [first, first + 5, first + 10]
    line = json.loads(_file(settings).read_text().splitlines()[-1])
    assert line["hash"] == events[10].entry_hash and set(line) == {"sequence", "hash", "at", "seal"}


def test_a_checkpoint_is_written_when_the_last_is_older_than_m_minutes(settings, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    settings.AUDIT_CHECKPOINT_EVERY, settings.AUDIT_CHECKPOINT_MINUTES = 1000, 5
    clock = [1000.0]
    monkeypatch.setattr(checkpoints.time, "monotonic", lambda: clock[0])
    with django_capture_on_commit_callbacks(execute=True):
        first = write_events(2)
        clock[0] += 5 * 60 + 1
        later = write_events(2)
    assert _sequences(settings) == [first[0].sequence, later[0].sequence]


def test_nothing_is_checkpointed_for_a_rolled_back_event(settings):
    write_events(3)  # the test's transaction never commits: the on-commit write never happens
    assert not _file(settings).exists()


def test_cutting_the_tail_and_restoring_an_older_head_row_is_caught_by_the_checkpoints(settings):
    write_events(3)
    older_head = ChainHead.objects.filter(id=1).values("last_sequence", "last_hash", "seal").get()
    later = write_events(5)
    call_command("audit", "checkpoint", stdout=io.StringIO())
    assert _sequences(settings) == [later[-1].sequence]

    drop_triggers()
    sql(f"DELETE FROM {TABLE} WHERE sequence > %s", [older_head["last_sequence"]])
    ChainHead.objects.filter(id=1).update(**older_head)

    assert verify_chain().intact  # the chain alone cannot see it: every remaining seal matches
    message = _broken()
    assert (f"BROKEN at event #{older_head['last_sequence'] + 1}: the database lacks events "
            f"#{older_head['last_sequence'] + 1} to #{later[-1].sequence}") in message


def test_history_replaced_after_a_checkpoint_is_caught(settings):
    events = write_events(4)
    call_command("audit", "checkpoint", stdout=io.StringIO())
    drop_triggers()
    sql(f"DELETE FROM {TABLE} WHERE sequence > %s", [events[1].sequence])
    ChainHead.objects.filter(id=1).update(last_sequence=events[1].sequence, last_hash=events[1].entry_hash,
                                          seal=_head_seal(events[1]))
    write_events(3)  # the attacker's process (with the key) writes new events over the old numbers

    assert verify_chain().intact
    assert f"event #{events[-1].sequence} is not the event checkpoint" in _broken()


def _head_seal(event: AuditEvent) -> str:
    from chartdesk.audit.chain import head_seal

    return head_seal(event.sequence, event.entry_hash)


def test_a_forged_checkpoint_line_is_refused(settings):
    write_events(2)
    _file(settings).write_text(json.dumps({"sequence": 999, "hash": "0" * 64, "at": "2026-01-01T00:00:00+00:00",
                                           "seal": "f" * 64}) + "\n")
    assert "is not sealed with the audit key" in _broken()


def test_an_intact_chain_agrees_with_its_checkpoints():
    write_events(3)
    call_command("audit", "checkpoint", stdout=io.StringIO())
    write_events(2)
    assert "; 1 checkpoints agree" in _verify()


def test_checkpoints_go_to_syslog_and_an_export_of_it_verifies(settings, tmp_path):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    try:
        settings.AUDIT_CHECKPOINT_PATH = ""
        settings.AUDIT_CHECKPOINT_SYSLOG = f"127.0.0.1:{receiver.getsockname()[1]}"
        events = write_events(3)
        call_command("audit", "checkpoint", stdout=io.StringIO())
        message = receiver.recv(4096).decode()
    finally:
        receiver.close()
    assert checkpoints.SYSLOG_TAG in message
    export = tmp_path / "syslog-export.log"
    export.write_text(f"Dec  7 02:00:00 chartdesk {message.strip()}\n")
    assert [c.sequence for c in checkpoints.read_checkpoints([export])] == [events[-1].sequence]

    drop_triggers()
    sql(f"DELETE FROM {TABLE} WHERE sequence = %s", [events[-1].sequence])
    ChainHead.objects.filter(id=1).update(last_sequence=events[-2].sequence, last_hash=events[-2].entry_hash,
                                          seal=_head_seal(events[-2]))
    with pytest.raises(CommandError, match="the database lacks events"):
        call_command("audit", "verify", "--checkpoints", str(export), stdout=io.StringIO(), stderr=io.StringIO())


def test_checkpoint_on_demand_needs_a_target(settings):
    settings.AUDIT_CHECKPOINT_PATH = ""
    with pytest.raises(CommandError, match="No checkpoint target is configured"):
        call_command("audit", "checkpoint", stdout=io.StringIO())
