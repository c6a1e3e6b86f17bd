"""A database put back to an older copy (here by a real backup and restore, the legitimate way) is
reported by `audit verify`, naming the events it lacks, until an administrator acknowledges the
restore; the acknowledgement is itself an audit event (issue 11, item 7)."""

from __future__ import annotations

from typing import Any

WRITE_EVENTS = (
    "from chartdesk.audit.actions import record_event\n"
    "from chartdesk.audit.models import AuditAction\n"
    "events = [record_event(AuditAction.VIEW, username='reader', object_type='document', object_id=n)"
    " for n in range({count})]\n"
    "print(events[-1].sequence)\n"
)


def _write(installation: Any, count: int) -> int:
    return int(installation.python(WRITE_EVENTS.format(count=count)).strip())


def test_an_older_copy_put_back_is_reported_until_an_administrator_acknowledges_it(installation, tmp_path):
    installation.extra_env.update(CHARTDESK_AUDIT_CHECKPOINT_PATH=str(tmp_path / "elsewhere" / "checkpoints.jsonl"),
                                  CHARTDESK_AUDIT_CHECKPOINT_EVERY="10", AUDIT_PASSWORD="a long enough password 1")
    installation.chartdesk("createuser", "priya", "--role", "privacy_officer", "--password-from-env",
                           "AUDIT_PASSWORD")
    _write(installation, 5)
    archive = tmp_path / "older.tar"
    installation.chartdesk("backup", str(archive))
    last_before_restore = _write(installation, 30)
    assert "checkpoints agree" in installation.chartdesk("audit", "verify").stdout

    restored = installation.chartdesk("restore", str(archive), "--force")
    assert "Warning: the database lacks events #" in restored.stderr
    refused = installation.chartdesk("audit", "verify", check=False)

    assert refused.returncode == 1
    # The last event the old database had was the check of it (`audit verify` writes one); the
    # restored database lacks everything after the backup up to there.
    assert "the database lacks events #" in refused.stderr
    assert f"to #{last_before_restore + 1} that checkpoint checkpoints.jsonl:" in refused.stderr

    short = installation.chartdesk("audit", "acknowledge-restore", "--user", "priya", "--reason", "oops", check=False)
    assert short.returncode != 0 and "--reason" in short.stderr
    nobody = installation.chartdesk("audit", "acknowledge-restore", "--user", "mallory", "--reason",
                                    "Restored last night's backup after disk failure", check=False)
    assert nobody.returncode != 0 and "may verify the audit chain" in nobody.stderr
    acknowledged = installation.chartdesk("audit", "acknowledge-restore", "--user", "priya", "--reason",
                                          "Restored last night's backup after disk failure")
    assert "restore acknowledged by priya" in acknowledged.stdout

    assert "audit chain intact" in installation.chartdesk("audit", "verify").stdout
    _write(installation, 25)  # new history over the old numbers is checkpointed and verifies
    assert "checkpoints agree" in installation.chartdesk("audit", "verify").stdout
    recorded = installation.python(
        "from chartdesk.audit.models import AuditEvent\n"
        "event = AuditEvent.objects.get(object_type='audit_restore')\n"
        "print(event.username, event.action, event.channel, event.detail['reason'])\n"
    )
    assert recorded.strip() == "priya integrity cli Restored last night's backup after disk failure"
