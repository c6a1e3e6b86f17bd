"""Backing up and restoring a whole installation: the database and the stored files, in one archive.

An archive is a tar file holding:

  database.sqlite3 or database.pgdump   a consistent copy of the database
  data/...                              every stored file: under settings.DATA_DIR, or every object
                                        under the prefix of the bucket CHARTDESK_STORAGE_URL names
  manifest.json                         format version, engine, creation time, SHA-256 and size of
                                        every other member, and fingerprints of the keys in use

SQLite is copied with the online backup API (one read transaction, so the copy is consistent while
the desk keeps running); PostgreSQL with `pg_dump -Fc` (one snapshot). The database is copied before
the files: an upload is written to disk before its row commits, so every file the copied database
names is already there when the files are walked.

With object storage the archive holds the bucket's objects under the same names, so one archive
restores onto either store (a disk backup into a bucket, or back). A restore into a bucket puts back
every object that is missing, skips those already there with the same SHA-256, and never deletes an
object the archive lacks; an object with different bytes is replaced only where the bucket keeps
versions (the replaced bytes stay as an older version), and otherwise refused before anything changes.

A restore reads the whole archive and checks every checksum before it touches anything, refuses an
archive made on the other engine, and refuses to replace a database that holds records unless
forced. The restored database then gets its own audit event, chained onto the restored chain.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connection

from chartdesk.core import registry
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.registry import record_audit_event

FORMAT = "chartdesk-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA_PREFIX = "data/"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024

# libpq connection parameters that may sit in DATABASES["default"]["OPTIONS"]; anything else there
# (psycopg pool or isolation settings) means nothing to pg_dump and psql.
LIBPQ_OPTIONS = {
    "host", "hostaddr", "port", "sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword",
    "connect_timeout", "application_name", "options", "target_session_attrs", "passfile", "service",
}


class BackupRefused(ChartdeskError):
    """The archive cannot be written or restored; nothing was changed."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    engine: str
    created_at: str
    data_files: int
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class RestoreSummary:
    path: Path
    engine: str
    created_at: str
    data_files: int
    previous_data_dir: Path | None
    audit_events_checked: int
    audit_problem: str = ""  # empty when the restored audit chain verifies
    warnings: list[str] = field(default_factory=list)


def database_engine() -> str:
    vendor = connection.vendor
    if vendor not in DATABASE_MEMBERS:
        raise BackupRefused(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def key_fingerprints() -> dict[str, str]:
    """A short keyed digest of each key: equal keys give equal fingerprints, and nothing leaks."""

    def fingerprint(key: bytes) -> str:
        return hmac.new(key, b"chartdesk key fingerprint", hashlib.sha256).hexdigest()[:16]

    return {
        "audit": fingerprint(settings.AUDIT_HMAC_KEY),
        "fields": fingerprint(settings.FIELD_ENCRYPTION_KEY),
    }


def _acting_username() -> str:
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):
        return "os:unknown"


def _record_backup_event(operation: str, detail: dict[str, Any], acting_user: Any) -> None:
    from chartdesk.core.context import acting_as

    with acting_as(channel="cli"):
        record_audit_event(
            "backup",
            user=acting_user,
            username="" if acting_user is not None else _acting_username(),
            object_type="installation",
            object_id=operation,
            detail={"operation": operation, **detail},
        )


# ----------------------------------------------------------------------------- writing an archive


def create_backup(destination: Path | str, *, acting_user: Any = None) -> BackupSummary:
    """Write one archive of the database and the stored files to `destination`.

    The archive is assembled beside the destination and renamed into place at the end, so a crash
    or a full disk never leaves a half-written archive under the requested name.
    """
    destination = Path(destination).resolve()
    if destination.is_dir():
        raise BackupRefused(f"{destination} is a folder; give the path of the archive file to write.")
    if not destination.parent.is_dir():
        raise BackupRefused(f"The folder {destination.parent} does not exist.")
    data_dir = Path(settings.DATA_DIR).resolve()
    if destination.is_relative_to(data_dir):
        raise BackupRefused(f"Write the archive outside the data folder {data_dir}: it would back itself up.")

    engine = database_engine()
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    members: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix=".chartdesk-backup-", dir=destination.parent) as work:
        work_dir = Path(work)
        database_copy = work_dir / DATABASE_MEMBERS[engine]
        if engine == "sqlite":
            _copy_sqlite(database_copy)
        else:
            _pg_dump(database_copy)

        partial = work_dir / "archive.partial"
        # SQLite pages compress well; scans and PDFs do not. Compress only when the name asks for it.
        compress = destination.name.endswith((".tar.gz", ".tgz"))
        with tarfile.open(partial, "w:gz") if compress else tarfile.open(partial, "w") as archive:
            members[database_copy.name] = _add_file(archive, database_copy, database_copy.name)
            store = _object_store()
            if store is not None:
                for stored_name, size in store.walk():
                    members[DATA_PREFIX + stored_name] = _add_object(archive, store, stored_name, size)
            else:
                for path, name in _data_files(data_dir):
                    members[name] = _add_file(archive, path, name)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "engine": engine,
                "created_at": created_at,
                "chartdesk_version": _chartdesk_version(),
                "database_member": database_copy.name,
                "storage": "s3" if store is not None else "disk",
                "key_fingerprints": key_fingerprints(),
                "members": members,
            }
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, destination)

    archive_sha256 = _sha256_of(destination)
    data_files = len(members) - 1
    _record_backup_event(
        "backup",
        {"archive": destination.name, "archive_sha256": archive_sha256, "engine": engine, "data_files": data_files},
        acting_user,
    )
    return BackupSummary(destination, engine, created_at, data_files, destination.stat().st_size, archive_sha256)


def _chartdesk_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chartdesk")
    except PackageNotFoundError:
        return "unknown"


def _copy_sqlite(target: Path) -> None:
    connection.ensure_connection()
    live = connection.connection
    copy = sqlite3.connect(target)
    try:
        # One step (pages=-1) copies under a single read transaction: a consistent snapshot even
        # while the desk writes; WAL lets those writers carry on meanwhile.
        live.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
    finally:
        copy.close()


def _data_files(data_dir: Path) -> Iterator[tuple[Path, str]]:
    if not data_dir.is_dir():
        return
    for root, dirs, files in os.walk(data_dir):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.is_symlink() or not path.is_file():
                continue  # the store writes plain files only; a link could point anywhere
            yield path, DATA_PREFIX + path.relative_to(data_dir).as_posix()


class _HashingReader:
    """Hands exactly `size` bytes of a file to tarfile and hashes them on the way."""

    def __init__(self, stream: IO[bytes], size: int) -> None:
        self.stream = stream
        self.remaining = size
        self.digest = hashlib.sha256()

    def read(self, amount: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        amount = self.remaining if amount < 0 else min(amount, self.remaining)
        chunk = self.stream.read(amount)
        if len(chunk) < amount:
            what = getattr(self.stream, "name", "A stored object")
            raise BackupRefused(f"{what} shrank while it was being backed up; run the backup again.")
        self.remaining -= len(chunk)
        self.digest.update(chunk)
        return chunk


def _add_file(archive: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(path.stat().st_mtime)
        info.mode = 0o600
        reader = _HashingReader(stream, size)
        archive.addfile(info, reader)  # type: ignore[arg-type]
    return {"sha256": reader.digest.hexdigest(), "size": size}


def _object_store() -> Any:
    """The bucket's store when stored files live in object storage, else None (the data folder)."""
    from django.core.files.storage import storages

    from chartdesk.core.storage import RecordS3Storage

    store = storages["default"]
    return store if isinstance(store, RecordS3Storage) else None


def _add_object(archive: tarfile.TarFile, store: Any, name: str, size: int) -> dict[str, Any]:
    answer = store.client.get_object(Bucket=store.bucket_name, Key=store.key_for(name))
    info = tarfile.TarInfo(DATA_PREFIX + name)
    info.size = size
    info.mtime = int(answer["LastModified"].timestamp())
    info.mode = 0o600
    reader = _HashingReader(answer["Body"], size)
    archive.addfile(info, reader)  # type: ignore[arg-type]
    return {"sha256": reader.digest.hexdigest(), "size": size}


def _add_bytes(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(content))


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# ----------------------------------------------------------------------------- reading an archive


@dataclass
class CheckedArchive:
    """An archive whose every member matched the manifest, unpacked into a private folder."""

    manifest: dict[str, Any]
    folder: Path

    @property
    def engine(self) -> str:
        return str(self.manifest["engine"])

    @property
    def database_file(self) -> Path:
        return self.folder / self.manifest["database_member"]

    @property
    def data_folder(self) -> Path:
        return self.folder / DATA_PREFIX.rstrip("/")

    @property
    def data_files(self) -> int:
        return sum(1 for name in self.manifest["members"] if name.startswith(DATA_PREFIX))


def _safe_member_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts and "\\" not in name


def unpack_and_check(source: Path, into: Path) -> CheckedArchive:
    """Unpack `source` into the empty folder `into`, refusing it unless every member is as listed."""
    if not source.is_file():
        raise BackupRefused(f"There is no archive at {source}.")
    try:
        with tarfile.open(source, "r:*") as archive:
            manifest = _read_manifest(archive, source)
            listed: dict[str, dict[str, Any]] = manifest["members"]
            seen: set[str] = set()
            for member in archive:
                if member.name == MANIFEST:
                    continue
                if not member.isfile() or not _safe_member_name(member.name):
                    raise BackupRefused(f"{source.name} holds {member.name!r}, which no Chartdesk backup writes.")
                if member.name not in listed:
                    raise BackupRefused(f"{source.name} holds {member.name}, which its manifest does not list.")
                if member.name in seen:
                    raise BackupRefused(f"{source.name} holds {member.name} twice.")
                seen.add(member.name)
                _unpack_member(archive, member, into / member.name, listed[member.name], source)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as problem:
        raise BackupRefused(f"{source.name} is damaged or not a Chartdesk backup ({problem}).") from problem
    missing = sorted(set(listed) - seen)
    if missing:
        raise BackupRefused(f"{source.name} is incomplete: {', '.join(missing[:5])} listed in the manifest is missing.")
    return CheckedArchive(manifest, into)


def _read_manifest(archive: tarfile.TarFile, source: Path) -> dict[str, Any]:
    try:
        stream = archive.extractfile(MANIFEST)
    except KeyError:
        raise BackupRefused(f"{source.name} has no {MANIFEST}: it is not a Chartdesk backup.") from None
    if stream is None:
        raise BackupRefused(f"{source.name} has a {MANIFEST} that is not a file.")
    try:
        manifest = json.loads(stream.read())
    except ValueError:
        raise BackupRefused(f"The {MANIFEST} of {source.name} is not valid JSON: the archive is damaged.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(f"{source.name} is not a Chartdesk backup (its manifest names no Chartdesk format).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupRefused(
            f"{source.name} is in backup format {manifest.get('format_version')!r}; this Chartdesk reads format "
            f"{FORMAT_VERSION}."
        )
    engine = manifest.get("engine")
    members = manifest.get("members")
    if engine not in DATABASE_MEMBERS or not isinstance(members, dict):
        raise BackupRefused(f"The manifest of {source.name} is incomplete: it names no engine or members.")
    if manifest.get("database_member") != DATABASE_MEMBERS[engine] or DATABASE_MEMBERS[engine] not in members:
        raise BackupRefused(f"{source.name} does not hold the {engine} database its manifest promises.")
    return manifest


def _unpack_member(
    archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path, listed: dict[str, Any], source: Path
) -> None:
    if member.size != listed.get("size"):
        raise BackupRefused(
            f"{member.name} in {source.name} is {member.size} bytes, but the manifest says {listed.get('size')}: "
            "the archive is damaged."
        )
    stream = archive.extractfile(member)
    if stream is None:
        raise BackupRefused(f"{member.name} in {source.name} cannot be read.")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with open(target, "wb") as out:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if not hmac.compare_digest(digest.hexdigest(), str(listed.get("sha256", ""))):
        raise BackupRefused(
            f"{member.name} in {source.name} does not match its SHA-256 in the manifest: the archive is damaged. "
            "Nothing was restored."
        )


# ----------------------------------------------------------------------------- restoring


def restore_backup(
    source: Path | str, *, force: bool = False, allow_key_mismatch: bool = False, acting_user: Any = None
) -> RestoreSummary:
    """Replace the database and the stored files with the contents of an archive.

    Order matters: check the whole archive, check the target, unpack the files beside the data
    folder, restore the database, and only then swap the data folder. Any refusal before the
    database step leaves everything as it was.
    """
    source = Path(source).resolve()
    engine = database_engine()
    data_dir = Path(settings.DATA_DIR).resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".chartdesk-restore-", dir=data_dir.parent) as work:
        checked = unpack_and_check(source, Path(work))
        if checked.engine != engine:
            raise BackupRefused(
                f"{source.name} is a {_engine_label(checked.engine)} backup and this installation runs on "
                f"{_engine_label(engine)}; restore it into a {_engine_label(checked.engine)} database."
            )
        warnings = _check_keys(checked.manifest, allow_key_mismatch)
        holding = records_held()
        if holding and not force:
            raise BackupRefused(
                f"The database already holds {holding}; restoring would replace them. "
                "Back it up first, then run the restore again with --force."
            )
        store = _object_store()
        if engine == "sqlite":
            _check_sqlite_copy(checked.database_file)
        if store is not None:
            # Objects first: an extra object is harmless if the database step then fails, and the
            # database restored afterwards finds every file it names.
            _restore_into_bucket(checked.data_folder, store)
        if engine == "sqlite":
            _restore_sqlite(checked.database_file)
        else:
            _pg_restore(checked.database_file)
        previous = _swap_data_dir(checked.data_folder, data_dir) if store is None else None

    _record_backup_event(
        "restore",
        {"archive": source.name, "archive_created_at": checked.manifest["created_at"], "engine": engine},
        acting_user,
    )
    report = verify_audit_chain()
    return RestoreSummary(
        source,
        engine,
        checked.manifest["created_at"],
        checked.data_files,
        previous,
        report.events_checked,
        "" if report.intact else report.problem,
        warnings,
    )


def _engine_label(engine: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(engine, engine)


def _check_keys(manifest: dict[str, Any], allow_key_mismatch: bool) -> list[str]:
    archived = manifest.get("key_fingerprints") or {}
    current = key_fingerprints()
    differing = sorted(name for name in current if archived.get(name) not in (None, current[name]))
    if not differing:
        return []
    names = {"audit": "CHARTDESK_AUDIT_KEY", "fields": "CHARTDESK_FIELD_KEY"}
    listed = " and ".join(names[name] for name in differing)
    message = (
        f"This installation's {listed} (or the CHARTDESK_SECRET_KEY it is derived from) differs from the one the "
        "backup was made with: "
        + ("the audit chain would not verify" if "audit" in differing else "")
        + (" and " if len(differing) == 2 else "")
        + ("encrypted SSNs could not be read" if "fields" in differing else "")
        + "."
    )
    if not allow_key_mismatch:
        raise BackupRefused(message + " Set the keys the backup was made with, or pass --allow-key-mismatch.")
    return [message]


def records_held() -> str:
    """'' for a database with no users and no patients (new or freshly migrated), else what it holds."""
    tables = set(connection.introspection.table_names())
    counts = []
    for table, noun in (("auth_user", "user"), ("patients_patient", "patient")):
        if table not in tables:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608  (table names are constants)
            count = cursor.fetchone()[0]
        if count:
            counts.append(f"{count} {noun}{'s' if count != 1 else ''}")
    return " and ".join(counts)


def _check_sqlite_copy(database_file: Path) -> None:
    copy = sqlite3.connect(f"file:{database_file}?mode=ro", uri=True)
    try:
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as problem:
        raise BackupRefused(f"The database in the archive cannot be read: {problem}.") from problem
    finally:
        copy.close()
    if result != "ok":
        raise BackupRefused(f"The database in the archive fails SQLite's integrity check: {result}.")


def _restore_sqlite(database_file: Path) -> None:
    connection.ensure_connection()
    live = connection.connection
    if live.in_transaction:
        raise BackupRefused("A restore cannot run inside an open transaction.")
    copy = sqlite3.connect(database_file)
    try:
        # The backup API replaces the live database page by page under its write lock, so other
        # connections see the old database or the restored one, never a mixture.
        copy.backup(live, pages=-1)
    finally:
        copy.close()
    # Django's connection may cache schema facts (and the audit chain head is re-read per event
    # anyway); reconnecting makes the next query see the restored file from scratch.
    connection.close()


def _restore_into_bucket(restored: Path, store: Any) -> None:
    """Put every archived file into the bucket under its name (see the module docstring for the rules)."""
    from chartdesk.core.storage import RecordFileSystemStorage, sha256_of_stream, stored_sha256

    store.check_reachable()
    to_put: list[str] = []
    differing: list[str] = []
    for name, _size in RecordFileSystemStorage(location=restored).walk():
        with open(restored / name, "rb") as archived:
            archived_sha256 = sha256_of_stream(archived)
        present = stored_sha256(store, name)
        if present == archived_sha256:
            continue
        to_put.append(name)
        if present is not None:
            differing.append(name)
    if differing:
        versioning = store.client.get_bucket_versioning(Bucket=store.bucket_name).get("Status")
        if versioning != "Enabled":
            raise BackupRefused(
                f"{len(differing)} object(s) in bucket {store.bucket_name} differ from the backup "
                f"({', '.join(differing[:5])}) and the bucket keeps no versions, so restoring would overwrite them. "
                "Restore into an empty or versioned bucket. Nothing was restored."
            )
    for name in to_put:
        with open(restored / name, "rb") as archived:
            store.put_exact(name, archived)


def _swap_data_dir(restored: Path, data_dir: Path) -> Path | None:
    """Put the restored files in place; keep the files that were there (nothing is deleted)."""
    restored.mkdir(exist_ok=True)
    previous: Path | None = None
    if data_dir.exists():
        if any(data_dir.iterdir()):
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            previous = data_dir.with_name(f"{data_dir.name}.before-restore-{stamp}")
            suffix = 1
            while previous.exists():
                previous = data_dir.with_name(f"{data_dir.name}.before-restore-{stamp}-{suffix}")
                suffix += 1
            data_dir.rename(previous)
        else:
            data_dir.rmdir()
    shutil.move(str(restored), str(data_dir))
    return previous


def verify_audit_chain() -> Any:
    """Walk the whole audit chain (the same check as `chartdesk audit verify`)."""
    return registry.verify_audit_chain()


# ----------------------------------------------------------------------------- PostgreSQL tools


def postgres_tool(name: str) -> str:
    """pg_dump, pg_restore or psql: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdecimal() else 0,
    )
    if candidates:
        return str(candidates[-1])
    raise BackupRefused(
        f"{name} was not found on PATH or under /usr/lib/postgresql (apt-get install postgresql-client)."
    )


def _libpq_target() -> tuple[str, dict[str, str]]:
    """The connection string (without the password) and environment for the PostgreSQL tools."""
    from psycopg.conninfo import make_conninfo

    database = settings.DATABASES["default"]
    params: dict[str, Any] = {"dbname": database["NAME"]}
    if database.get("USER"):
        params["user"] = database["USER"]
    if database.get("HOST"):
        params["host"] = database["HOST"]
    if database.get("PORT"):
        params["port"] = str(database["PORT"])
    for key, value in (database.get("OPTIONS") or {}).items():
        if key in LIBPQ_OPTIONS and value not in (None, ""):
            params[key] = str(value)
    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = database["PASSWORD"]  # the environment, not argv: `ps` shows argv to everyone
    return make_conninfo(**params), env


def _run_tool(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupRefused(f"{what} failed: {' / '.join(detail[-3:]) or f'exit status {result.returncode}'}")


def _pg_dump(target: Path) -> None:
    conninfo, env = _libpq_target()
    _run_tool(
        [postgres_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}",
         f"--dbname={conninfo}"],
        env,
        "pg_dump",
    )


def _pg_restore(dump: Path) -> None:
    """Replace the configured database's schema `public` with the dump, in one transaction.

    The audit table refuses TRUNCATE and DELETE, so rows cannot be cleared: the schema is dropped
    and recreated instead. pg_restore turns the dump into SQL and psql runs the drop and that SQL
    as one transaction, so a failure halfway leaves the old database exactly as it was.
    """
    conninfo, env = _libpq_target()
    script = dump.with_suffix(".sql")
    _run_tool(
        [postgres_tool("pg_restore"), "--no-owner", "--no-privileges", "--schema=public", f"--file={script}",
         str(dump)],
        env,
        "pg_restore (reading the dump)",
    )
    prelude = dump.with_name("prelude.sql")
    prelude.write_text("DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
    connection.close()  # our own session must not hold locks on the tables being dropped
    _run_tool(
        [postgres_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
         f"--file={prelude}", f"--file={script}", f"--dbname={conninfo}"],
        env,
        "Restoring the PostgreSQL database",
    )
