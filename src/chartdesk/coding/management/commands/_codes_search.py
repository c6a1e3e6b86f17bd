"""`chartdesk codes search`: the encoder on the command line (see coding.encoder.search)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chartdesk.cli import invocation
from chartdesk.coding.encoder.index import index_for
from chartdesk.coding.encoder.notes import notes_for
from chartdesk.coding.encoder.search import Hit, path_of, release_for, search_index

MAX_LIMIT = 200


def run_search(command: BaseCommand, options: dict[str, Any]) -> None:
    limit = options["limit"]
    if not 1 <= limit <= MAX_LIMIT:
        raise CommandError(f"--limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if bool(options["text"]) == bool(options["batch"]):
        raise CommandError("give either the text to search for or --batch FILE, not both")
    release = release_for(options["system"])
    if release is None:
        system = options["system"]
        raise CommandError(f"no {system} code set is loaded: run `{invocation()} codes load {system}`")
    index = index_for(release)
    if options["batch"]:
        path = Path(options["batch"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        for line in path.read_text(encoding="utf-8").splitlines():
            hits = search_index(index, line, limit=limit) if line.strip() else []
            command.stdout.write(json.dumps(_rows(index, hits, options["paths"])))
        return
    hits = search_index(index, options["text"], limit=limit)
    if options["json"]:
        command.stdout.write(json.dumps(_rows(index, hits, options["paths"])))
        return
    for hit in hits:
        kind = "billable" if hit.billable else "header  "
        command.stdout.write(f"{hit.display:10} {kind} {hit.score:.3f}  {hit.title}")
        if hit.path:
            command.stdout.write(f"           {hit.via}: " + " > ".join(hit.path))
        if options["paths"]:
            where = path_of(index, hit.code)
            command.stdout.write("           " + " > ".join(str(step["code"]) for step in where["path"]))
            if where["to_billable"]:
                command.stdout.write("           down to: " + " > ".join(str(s["code"]) for s in where["to_billable"]))


def _rows(index: Any, hits: list[Hit], with_paths: bool) -> list[dict[str, object]]:
    rows = []
    for hit in hits:
        row = hit.as_json()
        row["notes"] = notes_for(index, hit.code)
        if with_paths:
            row.update(path_of(index, hit.code))
        rows.append(row)
    return rows
