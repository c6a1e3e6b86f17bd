"""Back up, change things, restore: the change is gone, the files are back, the audit chain holds.

These run against a real installation through the `chartdesk` command (tests/ops/deployment.py):
a SQLite file on the SQLite run, a fresh database in the test cluster on the PostgreSQL run.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

from tests.ops.deployment import (
    ON_POSTGRES,
    Deployment,
    drop_postgres_database,
    postgres_deployment,
    sqlite_deployment,
)

ENGINE = "postgresql" if ON_POSTGRES else "sqlite"

USERNAMES = (
    "from django.contrib.auth import get_user_model\n"
    "print(','.join(sorted(get_user_model().objects.values_list('username', flat=True))))\n"
)


def add_user(deployment: Deployment, username: str) -> None:
    deployment.python(
        "from django.contrib.auth import get_user_model\n"
        "from chartdesk.audit.actions import record_event\n"
        "from chartdesk.audit.models import AuditAction\n"
        f"user = get_user_model().objects.create_user({username!r}, password='a long enough password')\n"
        "record_event(AuditAction.CREATE, username='ops-test', object_type='user', object_id=user.pk)\n"
    )


def register_patient(deployment: Deployment, given_name: str, family_name: str) -> str:
    """Register a patient through the real action (as a registrar made on the spot); returns the MRN."""
    return deployment.python(
        "from datetime import date\n"
        "from django.contrib.auth import get_user_model\n"
        "from chartdesk.accounts.actions import do_create_user\n"
        "from chartdesk.patients.actions import do_register_patient\n"
        "from chartdesk.patients.schemas import PatientRegistration\n"
        "clerk = get_user_model().objects.filter(username='ops-clerk').first() or do_create_user(\n"
        "    'ops-clerk', role='registrar', password='a long enough password', acting_user=None)\n"
        f"registration = PatientRegistration(given_name={given_name!r}, family_name={family_name!r},\n"
        "    birth_date=date(1971, 4, 2), sex='F')\n"
        "print(do_register_patient(registration, acting_user=clerk).mrn)\n"
    ).strip()


def patient_names(deployment: Deployment) -> list[str]:
    return deployment.python(
        "from chartdesk.patients.models import Patient\n"
        "print(','.join(sorted(p.family_name for p in Patient.objects.all())))\n"
    ).strip().split(",")


def usernames(deployment: Deployment) -> list[str]:
    return deployment.python(USERNAMES).strip().split(",")


def write_stored_files(data_dir: Path) -> dict[str, bytes]:
    files = {
        "documents/2025/01/scan-0001.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 400,
        "documents/2025/02/photo.png": b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 5000,
        "dictation/note 7.wav": b"RIFF" + b"\x01\x02\x03" * 3000,
    }
    for name, content in files.items():
        path = data_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return files


def test_restore_brings_back_the_database_and_files_exactly_as_backed_up(installation, tmp_path):
    add_user(installation, "alice")
    register_patient(installation, "Ngozi", "Okafor")
    files = write_stored_files(installation.data_dir)
    archive = tmp_path / "nightly.tar"

    backed_up = installation.chartdesk("backup", str(archive))
    assert f"Backed up the {ENGINE} database and 3 stored file(s)" in backed_up.stdout

    add_user(installation, "mallory")
    register_patient(installation, "Piotr", "Zielinski")
    (installation.data_dir / "documents/2025/01/scan-0001.pdf").write_bytes(b"overwritten")
    (installation.data_dir / "documents/2025/03").mkdir(parents=True)
    (installation.data_dir / "documents/2025/03/later.pdf").write_bytes(b"%PDF later")
    assert usernames(installation) == ["alice", "mallory", "ops-clerk"]
    assert patient_names(installation) == ["Okafor", "Zielinski"]

    restored = installation.chartdesk("restore", str(archive), "--force")

    assert f"Restored the {ENGINE} database and 3 stored file(s)" in restored.stdout
    assert "Audit chain verified" in restored.stdout
    assert usernames(installation) == ["alice", "ops-clerk"]
    assert patient_names(installation) == ["Okafor"]
    stored_now = {
        path.relative_to(installation.data_dir).as_posix(): path.read_bytes()
        for path in installation.data_dir.rglob("*")
        if path.is_file()
    }
    assert stored_now == files
    kept_aside = [p for p in installation.data_dir.parent.iterdir() if p.name.startswith("data.before-restore-")]
    assert len(kept_aside) == 1
    assert (kept_aside[0] / "documents/2025/03/later.pdf").read_bytes() == b"%PDF later"
    installation.verify_audit_chain()


def test_backup_and_restore_each_leave_an_audit_event(installation, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    installation.chartdesk("backup", str(archive))
    installation.chartdesk("restore", str(archive))  # a freshly migrated database holds no records: no --force
    events = installation.python(
        "from chartdesk.audit.models import AuditEvent\n"
        "for event in AuditEvent.objects.filter(action='backup').order_by('sequence'):\n"
        "    print(event.object_id, event.channel, event.username.startswith('os:'), event.detail['archive'])\n"
    )
    # The backup event was written after the copy was taken, so the restore replaced it; the
    # restore's own event is chained onto the restored chain.
    assert events.splitlines() == ["restore cli True backup.tar.gz"]
    installation.verify_audit_chain()


def test_restore_refuses_to_replace_a_database_that_holds_records_without_force(installation, tmp_path):
    archive = tmp_path / "backup.tar"
    installation.chartdesk("backup", str(archive))
    add_user(installation, "alice")

    refused = installation.chartdesk("restore", str(archive), check=False)

    assert refused.returncode == 1
    assert "already holds 1 user" in refused.stderr
    assert "--force" in refused.stderr
    assert usernames(installation) == ["alice"]


def test_a_damaged_archive_is_refused_and_nothing_changes(installation, tmp_path):
    add_user(installation, "alice")
    files = write_stored_files(installation.data_dir)
    archive = tmp_path / "backup.tar"
    installation.chartdesk("backup", str(archive))
    add_user(installation, "bob")
    (installation.data_dir / "dictation/note 7.wav").write_bytes(b"changed after the backup")

    damaged = bytearray(archive.read_bytes())
    position = damaged.index(b"%PDF-1.7") + 100  # inside the scan's bytes, not a tar header
    damaged[position] ^= 0xFF
    archive.write_bytes(bytes(damaged))

    refused = installation.chartdesk("restore", str(archive), "--force", check=False)

    assert refused.returncode == 1
    assert "documents/2025/01/scan-0001.pdf" in refused.stderr
    assert "does not match its SHA-256" in refused.stderr
    assert usernames(installation) == ["alice", "bob"]
    assert (installation.data_dir / "dictation/note 7.wav").read_bytes() == b"changed after the backup"
    assert (installation.data_dir / "documents/2025/01/scan-0001.pdf").read_bytes() == files[
        "documents/2025/01/scan-0001.pdf"
    ]
    assert not [p for p in installation.data_dir.parent.iterdir() if "restore" in p.name]


def test_an_archive_from_the_other_engine_is_refused(installation, tmp_path):
    other = "sqlite" if ON_POSTGRES else "postgresql"
    member = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[other]
    archive = tmp_path / "other-engine.tar"
    content = b"not really a database"
    manifest = {
        "format": "chartdesk-backup",
        "format_version": 1,
        "engine": other,
        "created_at": "2025-01-31T02:00:00+00:00",
        "database_member": member,
        "members": {member: {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}},
    }
    write_tar(archive, {member: content, "manifest.json": json.dumps(manifest).encode()})

    refused = installation.chartdesk("restore", str(archive), "--force", check=False)

    assert refused.returncode == 1
    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    assert f"is a {label[other]} backup and this installation runs on {label[ENGINE]}" in refused.stderr


def test_restore_refuses_an_archive_made_with_another_audit_key(installation, tmp_path):
    archive = tmp_path / "backup.tar"
    installation.chartdesk("backup", str(archive))
    installation.extra_env["CHARTDESK_AUDIT_KEY"] = "a different audit key than the backup was made with"

    refused = installation.chartdesk("restore", str(archive), "--force", check=False)

    assert refused.returncode == 1
    assert "CHARTDESK_AUDIT_KEY" in refused.stderr
    assert "the audit chain would not verify" in refused.stderr


def test_backup_refuses_to_write_into_a_missing_folder(installation, tmp_path):
    refused = installation.chartdesk("backup", str(tmp_path / "no-such-folder" / "b.tar"), check=False)
    assert refused.returncode == 1
    assert "does not exist" in refused.stderr


def write_tar(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))


def test_a_backup_restores_onto_a_new_server_with_an_empty_database(installation, tmp_path):
    add_user(installation, "alice")
    files = write_stored_files(installation.data_dir)
    archive = tmp_path / "offsite.tar.gz"
    installation.chartdesk("backup", str(archive))

    if ON_POSTGRES:
        new_server, name = postgres_deployment(tmp_path / "new-server")
    else:
        new_server, name = sqlite_deployment(tmp_path / "new-server"), None
    try:
        restored = new_server.chartdesk("restore", str(archive))

        assert "Audit chain verified" in restored.stdout
        assert "were there before are kept in" not in restored.stdout  # nothing to keep aside
        assert usernames(new_server) == ["alice"]
        photo = "documents/2025/02/photo.png"
        assert (new_server.data_dir / photo).read_bytes() == files[photo]
        assert new_server.chartdesk("migrate", "--check").returncode == 0
        new_server.verify_audit_chain()
    finally:
        if name:
            drop_postgres_database(name)
