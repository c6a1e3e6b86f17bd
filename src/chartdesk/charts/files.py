"""Uploaded files of the legal record: checked by their content, stored by their SHA-256, verified on read.

A file is accepted only when its bytes are a PDF, TIFF, PNG or JPEG that opens: the name and the
content type a browser declares are guesses taken from the extension, so neither decides anything.
A name whose extension promises another type than the content is refused too, because the person
uploading it has almost certainly picked the wrong file.

Files are stored under a content-addressed name (`documents/sha256/ab/cd/<hash>.<ext>`): the same
bytes uploaded twice are stored once, and a stored file can never be overwritten by a different one
under the same name. The file is written before the row that names it commits; if that transaction
rolls back, an unreferenced file is left behind, which is harmless and never served.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile

from chartdesk.charts import upload_limits
from chartdesk.core.errors import ChartdeskError

UPLOAD_EMPTY = "The file {name} is empty."
UPLOAD_TOO_LARGE = "The file {name} is {size}; the largest file accepted is {limit}."
UPLOAD_WRONG_TYPE = "The file {name} is not a PDF, TIFF, PNG or JPEG file (its content is {found})."
UPLOAD_EXTENSION_MISMATCH = "The file {name} is named as {named} but its content is {found}: is it the right file?"
UPLOAD_UNKNOWN_EXTENSION = "The file {name} has the extension {extension}; only PDF, TIFF, PNG and JPEG are accepted."
PDF_ENCRYPTED = "The PDF {name} is password-protected or encrypted: save an unprotected copy and upload that."
PDF_DAMAGED = "The PDF {name} is damaged or incomplete and cannot be opened ({problem})."
PDF_NO_PAGES = "The PDF {name} has no pages."
IMAGE_DAMAGED = "The {kind} image {name} is damaged or incomplete and cannot be opened ({problem})."
IMAGE_TOO_LARGE = "The image {name} has too many pixels to be a scanned page."
STORED_FILE_MISMATCH = "the stored file does not match its checksum"
STORED_FILE_MISSING = "the stored file is missing"


@dataclass(frozen=True)
class FileKind:
    label: str  # how a person names it in a message
    content_type: str
    extension: str
    extensions: tuple[str, ...]


PDF = FileKind("a PDF document", "application/pdf", "pdf", ("pdf",))
TIFF = FileKind("a TIFF image", "image/tiff", "tif", ("tif", "tiff"))
PNG = FileKind("a PNG image", "image/png", "png", ("png",))
JPEG = FileKind("a JPEG image", "image/jpeg", "jpg", ("jpg", "jpeg", "jpe"))
KINDS = (PDF, TIFF, PNG, JPEG)
KIND_BY_EXTENSION = {extension: kind for kind in KINDS for extension in kind.extensions}
CONTENT_TYPES = {kind.content_type for kind in KINDS}

# Other formats people commonly pick by mistake, recognised so the message can say what was sent.
OTHER_SIGNATURES = (
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"GIF8", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"{\\rtf", "an RTF document"),
    (b"<", "HTML or XML text"),
)


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, with what the record stores about it."""

    name: str
    kind: FileKind
    content: bytes
    sha256: str
    page_count: int

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def content_type(self) -> str:
        return self.kind.content_type


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def sniff_kind(content: bytes) -> FileKind | None:
    """The accepted kind the bytes start like, or None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    return None


def describe_other(content: bytes) -> str:
    for signature, label in OTHER_SIGNATURES:
        head = content[:1024].lstrip() if signature == b"<" else content
        if head.startswith(signature):
            return label
    try:
        content[:2048].decode("utf-8")
    except UnicodeDecodeError:
        return "of an unrecognised type"
    return "plain text"


def _clean_name(name: str) -> str:
    # Browsers on Windows may send a full path; keep only the last part, and keep it short.
    base = PurePath(name.replace("\\", "/")).name.strip() or "upload"
    return base[-200:]


def check_upload(upload: IO[bytes] | Any, *, name: str | None = None) -> CheckedFile:
    """Read and check an uploaded file; raise ChartdeskError (field "upload") naming the problem.

    `upload` is a Django UploadedFile or any binary file object (then pass `name`).
    """
    display_name = _clean_name(name or getattr(upload, "name", "") or "upload")
    limit = settings.MAX_UPLOAD_BYTES
    declared_size = getattr(upload, "size", None)
    if declared_size is not None and declared_size > limit:
        raise ChartdeskError(
            UPLOAD_TOO_LARGE.format(name=display_name, size=human_size(declared_size), limit=human_size(limit)),
            field="upload",
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    content = upload.read(limit + 1)  # one byte past the limit is enough to know it is too large
    if len(content) > limit:
        raise ChartdeskError(
            UPLOAD_TOO_LARGE.format(name=display_name, size=f"over {human_size(limit)}", limit=human_size(limit)),
            field="upload",
        )
    if not content:
        raise ChartdeskError(UPLOAD_EMPTY.format(name=display_name), field="upload")

    kind = sniff_kind(content)
    if kind is None:
        raise ChartdeskError(
            UPLOAD_WRONG_TYPE.format(name=display_name, found=describe_other(content)), field="upload"
        )
    _check_extension(display_name, kind)
    if kind is PDF:
        upload_limits.check_pdf_streams(content, display_name)  # before anything inflates a stream
    page_count = _count_pdf_pages(content, display_name) if kind is PDF else _count_image_frames(
        content, display_name, kind
    )
    return CheckedFile(
        name=display_name,
        kind=kind,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        page_count=page_count,
    )


def _check_extension(name: str, kind: FileKind) -> None:
    suffix = PurePath(name).suffix.lower().lstrip(".")
    if not suffix:
        return  # no claim made; the content decides the stored extension
    named = KIND_BY_EXTENSION.get(suffix)
    if named is None:
        raise ChartdeskError(UPLOAD_UNKNOWN_EXTENSION.format(name=name, extension=f".{suffix}"), field="upload")
    if named is not kind:
        raise ChartdeskError(
            UPLOAD_EXTENSION_MISMATCH.format(name=name, named=named.label, found=kind.label), field="upload"
        )


def _count_pdf_pages(content: bytes, name: str) -> int:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # A PDF is read from its end (the cross-reference table); a file cut short in transfer has lost
    # its end-of-file marker. pypdf's lenient mode would try to rebuild it, so look for it first.
    if b"%%EOF" not in content[-2048:]:
        raise ChartdeskError(PDF_DAMAGED.format(name=name, problem="it ends before its end-of-file marker"),
                             field="upload")
    pypdf_log = logging.getLogger("pypdf")
    previous_level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # its warnings about quirky files would only fill the server log
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise ChartdeskError(PDF_ENCRYPTED.format(name=name), field="upload")
        upload_limits.check_pdf_pages(reader, name)
        pages = len(reader.pages)
        for page in reader.pages:
            _ = page.mediabox  # every page must resolve, not just the count in the page tree
    except ChartdeskError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as problem:
        raise ChartdeskError(PDF_DAMAGED.format(name=name, problem=_short(problem)), field="upload") from None
    finally:
        pypdf_log.setLevel(previous_level)
    if pages < 1:
        raise ChartdeskError(PDF_NO_PAGES.format(name=name), field="upload")
    return pages


def _count_image_frames(content: bytes, name: str, kind: FileKind) -> int:
    from PIL import Image, UnidentifiedImageError

    expected_format = {PNG: "PNG", JPEG: "JPEG", TIFF: "TIFF"}[kind]
    short_kind = expected_format
    with warnings.catch_warnings():
        # A decompression bomb (a small file that expands to gigapixels) is refused, not just logged.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content)) as image:
                if image.format != expected_format:
                    raise ChartdeskError(
                        IMAGE_DAMAGED.format(kind=short_kind, name=name, problem=f"it reads as {image.format}"),
                        field="upload",
                    )
                upload_limits.check_image_frames(image, name)  # headers only: nothing is decoded yet
                image.verify()  # structure and checksums (PNG CRCs), without decoding
            with Image.open(io.BytesIO(content)) as image:
                frames = int(getattr(image, "n_frames", 1))
                for frame in range(frames):
                    image.seek(frame)
                    image.load()  # decoding catches files cut short, which verify() lets through
        except ChartdeskError:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ChartdeskError(IMAGE_TOO_LARGE.format(name=name), field="upload") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError) as problem:
            raise ChartdeskError(
                IMAGE_DAMAGED.format(kind=short_kind, name=name, problem=_short(problem)), field="upload"
            ) from None
    return frames


def _short(problem: Exception) -> str:
    text = str(problem).strip() or type(problem).__name__
    return text[:120]


def stored_name_for(checked: CheckedFile) -> str:
    return content_address("documents", checked.sha256, checked.kind.extension)


def store_file(checked: CheckedFile) -> str:
    """Write the file to the default storage under its content address; return the stored name."""
    from django.core.files.storage import default_storage

    name = stored_name_for(checked)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as existing:
            if hmac.compare_digest(hashlib.sha256(existing.read()).hexdigest(), checked.sha256):
                return name  # the same bytes are already stored
        # A file under this name whose bytes differ has been tampered with; keep it as evidence and
        # store the good copy beside it (storage picks a free name).
    return default_storage.save(name, ContentFile(checked.content))


def content_address(prefix: str, sha256: str, extension: str) -> str:
    """The storage name of bytes with this SHA-256: `<prefix>/sha256/ab/cd/<hash>.<ext>`."""
    return f"{prefix}/sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def sha256_of_stored(name: str, *, chunk_size: int = 1024 * 1024) -> str:
    """The SHA-256 of a stored file, read in chunks (audio and large scans never sit whole in memory)."""
    from django.core.files.storage import default_storage

    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as stored:
        while chunk := stored.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def store_stream(source: IO[bytes], *, sha256: str, prefix: str, extension: str) -> str:
    """Store a file already hashed (and spooled to `source`) under its content address, streaming it.

    The same rules as store_file: the same bytes are stored once, and a file under that name whose
    bytes differ is kept as evidence while the good copy goes beside it.
    """
    from django.core.files import File
    from django.core.files.storage import default_storage

    name = content_address(prefix, sha256, extension)
    if default_storage.exists(name) and hmac.compare_digest(sha256_of_stored(name), sha256):
        return name
    source.seek(0)
    return default_storage.save(name, File(source, name=name))


def read_verified(version: Any, *, user: Any = None) -> bytes:
    """The stored bytes of a document version, after checking them against the recorded SHA-256.

    A missing or altered file is recorded as a failed INTEGRITY event in the audit log (under `user`,
    or the signed-in user of the request) and raised as a ChartdeskError; the bytes of an altered
    file are never handed out.
    """
    from django.core.files.storage import default_storage

    from chartdesk.accounts.current import current_user
    from chartdesk.audit.actions import record_event
    from chartdesk.audit.models import AuditAction, AuditOutcome

    stored_name = version.file.name if version.file else ""
    problem, actual = "", ""
    try:
        with default_storage.open(stored_name, "rb") as stored:
            content = stored.read()
    except (FileNotFoundError, OSError, ValueError):
        content, problem = b"", STORED_FILE_MISSING
    if not problem:
        actual = hashlib.sha256(content).hexdigest()
        if not hmac.compare_digest(actual, version.file_sha256 or ""):
            problem = STORED_FILE_MISMATCH
    if problem:
        document = version.document
        record_event(
            AuditAction.INTEGRITY,
            user=user if user is not None else current_user(),
            patient=document.patient,
            object_type="document_version",
            object_id=version.pk,
            outcome=AuditOutcome.FAILURE,
            detail={
                "document_id": document.pk,
                "version": version.number,
                "stored_name": stored_name,
                "expected_sha256": version.file_sha256,
                "actual_sha256": actual,
                "problem": problem,
            },
        )
        raise ChartdeskError(f"Version {version.number} of this document cannot be shown: {problem}.")
    return content
