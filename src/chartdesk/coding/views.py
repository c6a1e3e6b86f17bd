"""The coder's desk for code sets: the encoder as you type, the tabular browser, the PCS builder and the
edit check. Code sets are reference data, not patient data: reads need `coding.use_encoder` and are
not audited one by one."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from chartdesk.coding.edits.validator import EncounterCodes, validate
from chartdesk.coding.encoder.index import index_for
from chartdesk.coding.encoder.notes import notes_for
from chartdesk.coding.encoder.search import path_of, release_for, search_index
from chartdesk.coding.forms import CheckForm, EncoderForm
from chartdesk.coding.loaded import classification_by_fiscal_year
from chartdesk.coding.models import (
    ClassificationIndex,
    Code,
    CodeNote,
    CodeSetRelease,
    CodeSystem,
    IndexPart,
    NoteKind,
)
from chartdesk.coding.pcs import current_pcs_release, step
from chartdesk.core.permissions import requires

RESULTS = 25
NOTED_HITS = 5
NOTE_ORDER = [kind.value for kind in NoteKind]


@requires("coding.use_encoder")
def encoder_view(request: HttpRequest) -> HttpResponse:
    form = EncoderForm(request.GET or None)
    query = ""
    system = CodeSystem.ICD10CM.value
    if form.is_valid():
        query = form.cleaned_data["q"]
        system = form.cleaned_data["system"] or system
    release = release_for(system)
    hits: list[dict[str, Any]] = []
    if release is not None and query.strip():
        index = index_for(release)
        for position, hit in enumerate(search_index(index, query, limit=RESULTS)):
            # The notes of the first few hits: the ones a coder verifies before choosing.
            notes = notes_for(index, hit.code) if position < NOTED_HITS else []
            hits.append({"hit": hit, "notes": notes, **path_of(index, hit.code)})
    index_parts = [{"label": part.label, "edition": ClassificationIndex.objects.in_effect(part)}
                   for part in IndexPart]
    context = {"form": form, "query": query, "system": system, "release": release, "hits": hits,
               "searched": bool(query.strip()), "index_parts": index_parts,
               "missing_parts": [part for part in index_parts if part["edition"] is None]}
    template = "coding/_encoder_results.html" if request.htmx else "coding/encoder.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@requires("coding.use_encoder")
def code_view(request: HttpRequest, system: str, code: str) -> HttpResponse:
    if system not in CodeSystem.values:
        raise Http404
    release = release_for(system)
    if release is None:
        raise Http404
    bare = code.upper().replace(".", "")
    entry = Code.objects.filter(release=release, code=bare).first()
    if entry is None:
        raise Http404
    index = index_for(release)
    chain = [node.code for node in index.ancestors(bare)]
    holders = {row.code: row for row in Code.objects.filter(release=release, code__in=chain)}
    notes_by_holder: list[tuple[Code, list[tuple[str, list[CodeNote]]]]] = []
    for holder_code in chain:
        holder = holders.get(holder_code)
        if holder is None:
            continue
        grouped: dict[str, list[CodeNote]] = {}
        for note in holder.notes.all():
            grouped.setdefault(note.get_kind_display(), []).append(note)
        if grouped:
            notes_by_holder.append((holder, sorted(grouped.items(), key=lambda item: _kind_rank(item[0]))))
    seventh = [(row, list(row.seventh_characters.all())) for row in holders.values() if row.seventh_characters.exists()]
    children = Code.objects.filter(release=release, parent=bare).order_by("sort_key")[:200]
    context = {
        "release": release, "entry": entry, "path": [holders[c] for c in chain if c in holders],
        "notes_by_holder": notes_by_holder, "seventh": seventh, "children": children,
        "to_billable": path_of(index, bare)["to_billable"],
    }
    return render(request, "coding/code.html", context)


def _kind_rank(label: str) -> int:
    labels = [NoteKind(kind).label for kind in NOTE_ORDER]
    return labels.index(label) if label in labels else len(labels)


@requires("coding.use_encoder")
def pcs_builder_view(request: HttpRequest) -> HttpResponse:
    release = current_pcs_release()
    prefix = request.GET.get("prefix", "")[:7].upper()
    walked = step(release, prefix) if release is not None else None
    if release is not None and walked is None:
        prefix, walked = "", step(release, "")
    code = Code.objects.filter(release=release, code=prefix).first() if release and len(prefix) == 7 else None
    context = {"release": release, "prefix": prefix, "step": walked, "code": code,
               "back": prefix[:-1] if prefix else None}
    template = "coding/_pcs_step.html" if request.htmx else "coding/pcs_builder.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@requires("coding.use_encoder")
def check_view(request: HttpRequest) -> HttpResponse:
    form = CheckForm(request.GET if "codes" in request.GET else None)
    report = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        report = validate(EncounterCodes.of(
            data["codes"], service_date=data["service_date"], inpatient=data["inpatient"], sex=data["sex"],
            age=data["age"], poa=data["poa_list"],
        ))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "coding/check.html", {"form": form, "report": report}, status=status)


@requires("coding.use_encoder")
def releases_view(request: HttpRequest) -> HttpResponse:
    releases = CodeSetRelease.objects.order_by("system", "-effective_from")
    context = {"releases": releases, "fiscal_years": classification_by_fiscal_year()}
    return render(request, "coding/releases.html", context)
