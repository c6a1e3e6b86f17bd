"""Reading FHIR files for import: Bundles (transaction, batch, collection, searchset) and bulk NDJSON,
each resource with the file and line it came from, so that every problem can be pointed at."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from chartdesk.interop.fhir.validation import load_json


@dataclass
class SourceResource:
    file: str
    line: int
    resource: dict[str, Any]
    full_url: str = ""

    @property
    def resource_type(self) -> str:
        return str(self.resource.get("resourceType", ""))

    @property
    def key(self) -> str:
        """How references name it: 'Type/id', or the bundle's fullUrl for a resource without an id."""
        if self.resource.get("id"):
            return f"{self.resource_type}/{self.resource['id']}"
        return self.full_url

    @property
    def label(self) -> str:
        return self.key or f"{self.resource_type} (no id)"

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the resource's canonical JSON: how a later import tells whether it changed."""
        return content_digest(self.resource)


def content_digest(resource: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(resource, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class Problem:
    file: str
    line: int
    resource: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.resource}: {self.path}: {self.message}" if self.path else \
            f"{where}: {self.resource}: {self.message}"


def files_under(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".ndjson", ".json") and p.name != "log.ndjson")
    return [path]


def _line_of(text: str, resource: dict[str, Any], start: int) -> tuple[int, int]:
    """The line on which a bundle entry's resource starts (found by its id), and where to look next."""
    marker = resource.get("id")
    if isinstance(marker, str):
        for needle in (f'"id": "{marker}"', f'"id":"{marker}"'):
            found = text.find(needle, start)
            if found >= 0:
                return text.count("\n", 0, found) + 1, found + 1
    return text.count("\n", 0, start) + 1, start


def _bundle_entries(file: str, text: str, bundle: dict[str, Any], problems: list[Problem]
                    ) -> Iterator[SourceResource]:
    kind = bundle.get("type")
    if kind not in ("transaction", "batch", "collection", "searchset"):
        problems.append(Problem(file, 1, "Bundle", "Bundle.type",
                                f"{kind!r}: only transaction, batch, collection and searchset bundles are imported"))
        return
    position = 0
    for index, entry in enumerate(bundle.get("entry") or []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            problems.append(Problem(file, 1, "Bundle", f"Bundle.entry[{index}].resource", "missing"))
            continue
        line, position = _line_of(text, resource, position)
        yield SourceResource(file, line, resource, str(entry.get("fullUrl") or ""))


def _reason(invalid: ValueError) -> str:
    return invalid.msg if isinstance(invalid, json.JSONDecodeError) else str(invalid)


def read_resources(path: Path, problems: list[Problem]) -> Iterator[SourceResource]:
    """Every resource under `path`; unreadable lines and files are added to `problems` and skipped."""
    for file_path in files_under(path):
        name = file_path.name
        try:
            text = file_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as failure:
            problems.append(Problem(name, 0, "(file)", "", f"cannot read: {failure}"))
            continue
        if file_path.suffix == ".ndjson":
            for number, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    resource = load_json(line)
                except ValueError as invalid:
                    problems.append(Problem(name, number, "(line)", "", f"not JSON: {_reason(invalid)}"))
                    continue
                if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
                    yield from _bundle_entries(name, line, resource, problems)
                elif isinstance(resource, dict):
                    yield SourceResource(name, number, resource)
                else:
                    problems.append(Problem(name, number, "(line)", "", "not a JSON object"))
            continue
        try:
            document = load_json(text)
        except ValueError as invalid:
            problems.append(Problem(name, getattr(invalid, "lineno", 1), "(file)", "", f"not JSON: {_reason(invalid)}"))
            continue
        if isinstance(document, dict) and document.get("resourceType") == "Bundle":
            yield from _bundle_entries(name, text, document, problems)
        elif isinstance(document, dict):
            yield SourceResource(name, 1, document)
        else:
            problems.append(Problem(name, 1, "(file)", "", "not a FHIR resource or Bundle"))
