"""An archive is checked member by member before a restore touches anything."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from chartdesk.core.backup import BackupRefused, unpack_and_check

DATABASE = b"SQLite format 3\x00" + b"\x00" * 200
SCAN = b"%PDF-1.7 a scanned consent form"


def manifest_for(members: dict[str, bytes], **changes: object) -> bytes:
    manifest = {
        "format": "chartdesk-backup",
        "format_version": 1,
        "engine": "sqlite",
        "created_at": "2025-01-31T02:00:00+00:00",
        "database_member": "database.sqlite3",
        "members": {
            name: {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
            for name, content in members.items()
        },
    }
    manifest.update(changes)
    return json.dumps(manifest).encode()


def write_tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return path


def good_members() -> dict[str, bytes]:
    return {"database.sqlite3": DATABASE, "data/documents/scan.pdf": SCAN}


def refusal(archive: Path, tmp_path: Path) -> str:
    into = tmp_path / "unpacked"
    into.mkdir()
    with pytest.raises(BackupRefused) as refused:
        unpack_and_check(archive, into)
    return refused.value.message


def test_a_sound_archive_unpacks_with_every_file_in_place(tmp_path):
    members = good_members()
    archive = write_tar(tmp_path / "b.tar", {**members, "manifest.json": manifest_for(members)})
    into = tmp_path / "unpacked"
    into.mkdir()

    checked = unpack_and_check(archive, into)

    assert checked.engine == "sqlite"
    assert checked.data_files == 1
    assert checked.database_file.read_bytes() == DATABASE
    assert (checked.data_folder / "documents/scan.pdf").read_bytes() == SCAN


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    archive = tmp_path / "b.tar"
    archive.write_bytes(b"this is a shopping list, not a backup")
    assert "is damaged or not a Chartdesk backup" in refusal(archive, tmp_path)


def test_a_missing_archive_is_named(tmp_path):
    assert "There is no archive at" in refusal(tmp_path / "absent.tar", tmp_path)


def test_an_archive_without_a_manifest_is_refused(tmp_path):
    archive = write_tar(tmp_path / "b.tar", good_members())
    assert "has no manifest.json" in refusal(archive, tmp_path)


def test_a_member_the_manifest_does_not_list_is_refused(tmp_path):
    members = good_members()
    archive = write_tar(
        tmp_path / "b.tar", {**members, "data/extra.pdf": b"slipped in", "manifest.json": manifest_for(members)}
    )
    assert "data/extra.pdf, which its manifest does not list" in refusal(archive, tmp_path)


def test_a_member_listed_but_missing_is_refused(tmp_path):
    members = good_members()
    manifest = manifest_for(members)
    archive = write_tar(tmp_path / "b.tar", {"database.sqlite3": DATABASE, "manifest.json": manifest})
    assert "is incomplete: data/documents/scan.pdf" in refusal(archive, tmp_path)


def test_a_member_whose_bytes_changed_is_refused_by_its_checksum(tmp_path):
    members = good_members()
    manifest = manifest_for(members)
    tampered = {**members, "data/documents/scan.pdf": SCAN.replace(b"consent", b"CONSENT")}
    archive = write_tar(tmp_path / "b.tar", {**tampered, "manifest.json": manifest})
    message = refusal(archive, tmp_path)
    assert "data/documents/scan.pdf" in message
    assert "does not match its SHA-256" in message


def test_a_member_that_climbs_out_of_the_folder_is_refused(tmp_path):
    members = {"database.sqlite3": DATABASE, "data/../../escaped.txt": b"outside"}
    archive = write_tar(tmp_path / "b.tar", {**members, "manifest.json": manifest_for(members)})
    assert "which no Chartdesk backup writes" in refusal(archive, tmp_path)
    assert not (tmp_path / "escaped.txt").exists()


def test_a_newer_backup_format_is_refused_by_name(tmp_path):
    members = good_members()
    archive = write_tar(tmp_path / "b.tar", {**members, "manifest.json": manifest_for(members, format_version=2)})
    assert "is in backup format 2; this Chartdesk reads format 1" in refusal(archive, tmp_path)


def test_a_truncated_compressed_archive_is_refused(tmp_path):
    members = good_members()
    archive = tmp_path / "b.tar.gz"
    with tarfile.open(archive, "w:gz") as out:
        for name, content in {**members, "manifest.json": manifest_for(members)}.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            out.addfile(info, io.BytesIO(content))
    archive.write_bytes(archive.read_bytes()[:-40])
    assert "damaged" in refusal(archive, tmp_path)
