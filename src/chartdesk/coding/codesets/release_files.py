"""The ICD-10-CM release as CMS publishes it: a zip (or the folder it unpacks to) of XML files.

A release holds the Tabular List (`ICD10CM.tabular`) and up to four `ICD10CM.index` files: the
Index to Diseases and Injuries, the External Cause of Injuries Index, the Table of Neoplasms and
the Table of Drugs and Chemicals. Files are told apart by their root element and content, not by
their names, which CMS changes from year to year. Other members (PDFs, code-title text files,
schemas) are left alone. The project ships the FY2023 tables and External Cause Index compressed
(`coding/data/*.xml.xz`) for a site that has not loaded its own release yet.
"""

from __future__ import annotations

import lzma
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from chartdesk.coding.codesets.errors import MalformedCodeFile

# A member larger than this (uncompressed) is refused before it is read: the whole Index to
# Diseases is about 20 MB, so this leaves room for growth and none for a zip bomb.
MAX_MEMBER_BYTES = 200 * 1024 * 1024
SNIFF_BYTES = 2048


@dataclass
class ReleaseFiles:
    """The XML files of one release, read into memory, by kind."""

    container: str
    tabular: tuple[str, bytes] | None = None
    index_files: list[tuple[str, bytes]] = field(default_factory=list)


def packaged_index_folder() -> Path:
    return Path(str(resources.files("chartdesk.coding") / "data"))


def is_release_container(path: Path) -> bool:
    """A zip, a folder, a compressed file or an index XML: what `codes load icd10cm` hands here."""
    if path.is_dir() or zipfile.is_zipfile(path) or path.name.endswith(".xz"):
        return True
    return _root_of(path.read_bytes()[:SNIFF_BYTES]) == "ICD10CM.index"


def read_release(path: Path) -> ReleaseFiles:
    files = ReleaseFiles(path.name)
    for name, content in _members(path):
        root = _root_of(content[:SNIFF_BYTES])
        if root == "ICD10CM.tabular":
            if files.tabular is not None:
                first = files.tabular[0]
                raise MalformedCodeFile(name, 1, f"a second Tabular List in the release (the first: {first})")
            files.tabular = (name, content)
        elif root == "ICD10CM.index":
            files.index_files.append((name, content))
    if files.tabular is None and not files.index_files:
        raise MalformedCodeFile(path.name, 1, "no ICD-10-CM Tabular List or Index XML in it")
    return files


def _members(path: Path) -> list[tuple[str, bytes]]:
    if path.is_dir():
        return [(entry.name, _read_file(entry)) for entry in sorted(path.iterdir())
                if entry.is_file() and entry.name.lower().endswith((".xml", ".xml.xz"))]
    if zipfile.is_zipfile(path):
        found = []
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.lower().endswith(".xml"):
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    raise MalformedCodeFile(info.filename, 1, f"member larger than {MAX_MEMBER_BYTES} bytes")
                found.append((Path(info.filename).name, archive.read(info)))
        return found
    return [(path.name, _read_file(path))]


def read_member(path: Path) -> bytes:
    """One file's content, decompressed when it is xz (the shipped package data)."""
    return _read_file(path)


def _read_file(path: Path) -> bytes:
    if path.name.endswith(".xz"):
        try:
            with lzma.open(path) as stream:
                content = stream.read(MAX_MEMBER_BYTES + 1)
        except lzma.LZMAError as problem:
            raise MalformedCodeFile(path.name, 1, f"not an xz file ({problem})") from None
        if len(content) > MAX_MEMBER_BYTES:
            raise MalformedCodeFile(path.name, 1, f"larger than {MAX_MEMBER_BYTES} bytes once decompressed")
        return content
    return path.read_bytes()


def _root_of(head: bytes) -> str:
    """The root element's name, read from the first bytes (after the XML declaration and comments)."""
    text = head.decode("utf-8", errors="replace")
    position = 0
    while True:
        start = text.find("<", position)
        if start < 0 or start + 1 >= len(text):
            return ""
        if text[start + 1] in "?!":
            position = start + 1
            continue
        name = text[start + 1:].split(">", 1)[0].split()[0] if text[start + 1:].strip() else ""
        return name.rstrip("/")
