"""Keeping the FHIR content of every version, so that vread, _history and `$export?_since=` answer
with what the API really showed.

Receivers here (connected in InteropConfig.ready) note which served resources a transaction
touched; when it commits, each is rendered once through its adapter and stored in ResourceVersion
if its content is new. Patients, charts, clinical and billing never import interop. Changes that
bypass save() are caught by the row that records them: a merge saves its MergeEvent (both charts are
re-rendered), sending claims saves an X12Batch (its claims are). Rendering happens after the commit,
so a rolled-back change stores nothing and a write never fails because of version keeping; a failure
is logged and the next change of that resource stores its version again.

Cheap by design: one load per resource type per transaction, one look-up of the stored versions,
one bulk insert; unchanged content (same digest) writes nothing. An import renders after each
patient's commit as usual but writes once per chunk (`batched`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.utils import timezone

from chartdesk.charts.models import DocumentType
from chartdesk.core.bulk import insert_rows
from chartdesk.interop.fhir.common import instant
from chartdesk.interop.models import ResourceVersion, VersionKeeping

log = logging.getLogger(__name__)
_pending = threading.local()

CHART = "chart"  # a pending key (CHART, patient id): every versioned resource of that chart
BATCH = "batch"  # (BATCH, X12Batch id): every claim sent in that batch


@dataclass(frozen=True)
class Versioned:
    """A resource type whose versions are kept, and where its rows live."""

    resource_type: str
    model_label: str  # "app.Model" of the rows (loaded without access checks: nobody reads here)
    chart_field: str  # the field that names the patient ("pk" for Patient itself)
    only: dict[str, Any] | None = None  # rows of the model that are this type (Consent: consent documents)

    @property
    def model(self) -> type[models.Model]:
        from django.apps import apps

        return apps.get_model(self.model_label)

    def rows(self) -> models.QuerySet[Any]:
        found = self.model._base_manager.all()
        return found.filter(**self.only) if self.only else found


VERSIONED = (
    Versioned("Patient", "patients.Patient", "pk"),
    Versioned("Encounter", "charts.Encounter", "patient_id"),
    Versioned("DocumentReference", "charts.Document", "patient_id"),
    Versioned("Consent", "charts.Document", "patient_id", {"document_type": DocumentType.CONSENT}),
    Versioned("Condition", "clinical.Condition", "patient_id"),
    Versioned("Procedure", "clinical.Procedure", "patient_id"),
    Versioned("Claim", "billing.Claim", "patient_id"),
    Versioned("ExplanationOfBenefit", "billing.ClaimPayment", "claim__patient_id"),
)
VERSIONED_TYPES = {versioned.resource_type: versioned for versioned in VERSIONED}

# Which resources a saved row changes: (model label, ((resource type, attribute holding its id), ...)).
WATCHED: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("patients.Patient", (("Patient", "pk"),)),
    ("patients.PatientName", (("Patient", "patient_id"),)),
    ("patients.PatientAddress", (("Patient", "patient_id"),)),
    ("patients.PatientPhone", (("Patient", "patient_id"),)),
    ("patients.PatientIdentifier", (("Patient", "patient_id"),)),
    ("charts.Encounter", (("Encounter", "pk"),)),
    ("charts.EncounterProvider", (("Encounter", "encounter_id"),)),
    # Every charts action that touches a document saves the Document (its revision moves), so its
    # versions and addenda need no receiver of their own.
    ("charts.Document", (("DocumentReference", "pk"), ("Consent", "pk"))),
    ("clinical.Condition", (("Condition", "pk"),)),
    ("clinical.Procedure", (("Procedure", "pk"),)),
    ("billing.Claim", (("Claim", "pk"),)),
    ("billing.ClaimLine", (("Claim", "claim_id"),)),
    ("billing.ClaimPayment", (("ExplanationOfBenefit", "pk"),)),
)


def _queue() -> set[tuple[str, int]]:
    if not hasattr(_pending, "keys"):
        _pending.keys = set()
    return _pending.keys  # type: ignore[no-any-return]


def resource_changed(resource_type: str, pk: Any) -> None:
    """Keep this resource's version when the current transaction commits (at once outside one)."""
    if pk is None:
        return
    _queue().add((resource_type, int(pk)))
    # Registered on every change: after a rollback the set may still hold keys whose callback was
    # discarded, and they must not wait for someone else's commit. A flush with nothing queued is free.
    transaction.on_commit(_flush, robust=True)


def _flush() -> None:
    queued = _queue()
    keys = sorted(queued)
    queued.clear()
    if not keys:
        return
    held: list[Rendered] | None = getattr(_pending, "held", None)
    try:
        if held is not None:
            # Batched (an import): render now, right after this commit, so that every version is
            # seen as it was; the write waits for the end of the batch.
            held.extend(render_versions(keys))
            return
        with transaction.atomic():
            keep_versions(keys)
    except Exception:  # the change itself is committed; never turn it into an error
        log.exception("keeping FHIR versions of %s failed; the next change of each keeps it again", keys[:20])


def take_pending() -> list[tuple[str, int]]:
    """The resources queued for version keeping, taken off the queue (the commit then keeps nothing):
    for a caller that records them to keep later itself, in the same transaction as the changes (the
    HL7 listener's follow-up outbox), and passes them to `keep_versions`."""
    queued = _queue()
    keys = sorted(queued)
    queued.clear()
    return keys


@contextmanager
def batched(every: int = 2000) -> Iterator[Callable[[], None]]:
    """Within this block (one import), versions are rendered when each transaction commits, as
    always, but written together: one write transaction per `every` rendered versions and one at
    the end, instead of one after every commit. Yields a function that writes what is held now
    (the importer calls it between chunks). Versions held when the block ends, even by an error,
    are written: their changes are committed."""
    if getattr(_pending, "held", None) is not None:  # already batching: the outer block writes
        yield lambda: None
        return
    _pending.held = []

    def write_held() -> None:
        held: list[Rendered] = _pending.held
        if not held:
            return
        _pending.held = []
        try:
            with transaction.atomic():
                store_versions(held)
        except Exception:  # the changes are committed; never turn them into an error
            log.exception("keeping %d FHIR versions failed; the next change of each keeps it again", len(held))

    def write_when_full() -> None:
        if len(_pending.held) >= every:
            write_held()

    try:
        yield write_when_full
    finally:
        try:
            write_held()
        finally:
            del _pending.held


def _expand(keys: Iterable[tuple[str, int]]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {}
    for kind, pk in keys:
        if kind == CHART:
            for versioned in VERSIONED:
                ids = versioned.rows().filter(**{versioned.chart_field: pk}).values_list("pk", flat=True)
                wanted.setdefault(versioned.resource_type, set()).update(ids)
        elif kind == BATCH:
            ids = VERSIONED_TYPES["Claim"].rows().filter(batch_id=pk).values_list("pk", flat=True)
            wanted.setdefault("Claim", set()).update(ids)
        elif kind in VERSIONED_TYPES:
            wanted.setdefault(kind, set()).add(pk)
    return wanted


def content_digest(resource: dict[str, Any]) -> str:
    """SHA-256 of the content, leaving out meta.lastUpdated (the moment of rendering, not content)."""
    body = {**resource, "meta": {key: value for key, value in (resource.get("meta") or {}).items()
                                 if key != "lastUpdated"}}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class Rendered:
    """One version as rendered right after the commit that made it, not yet stored."""

    resource_type: str
    logical_id: str
    version_id: int
    resource: dict[str, Any]
    digest: str
    patient_id: int | None
    moment: datetime


def keep_versions(keys: Iterable[tuple[str, int]], *, now: datetime | None = None) -> int:
    """Store the current version of each resource whose content is not stored yet; returns how many.

    One load per resource type, one look-up of the stored versions, one bulk insert: the writes that
    trigger this (imports, HL7 feeds) pay as little as possible."""
    return store_versions(render_versions(keys, now=now))


def render_versions(keys: Iterable[tuple[str, int]], *, now: datetime | None = None) -> list[Rendered]:
    """The current content of each resource (reads only): one load per resource type."""
    from chartdesk.interop.registry import adapter_for

    moment = now or timezone.now()
    rendered: list[Rendered] = []
    for resource_type, ids in sorted(_expand(keys).items()):
        adapter = adapter_for(resource_type)
        rows = VERSIONED_TYPES[resource_type].rows().filter(pk__in=ids)
        prefetch = getattr(adapter, "prefetch", None)
        loaded = list(prefetch(rows) if prefetch is not None else rows)
        preload_versions = getattr(adapter, "preload_versions", None)
        if preload_versions is not None:  # versions counted for all rows at once (encounters)
            preload_versions(loaded)
        for row in loaded:
            version = adapter.version_of(row)
            if version is None or not str(version).isdecimal():
                continue
            resource = adapter.to_fhir(row)
            resource_meta = resource.setdefault("meta", {})
            resource_meta["versionId"] = str(version)
            resource_meta.setdefault("lastUpdated", instant(moment))
            rendered.append(Rendered(resource_type, str(row.pk), int(version), resource, content_digest(resource),
                                     adapter.patient_id_of(row), moment))
    return rendered


def store_versions(rendered: Iterable[Rendered]) -> int:
    """Store the versions not stored yet, and refresh in place a stored version whose content has
    changed since (the latest rendering of a version wins); one look-up, one bulk insert."""
    latest: dict[tuple[str, str, int], Rendered] = {}
    for item in rendered:  # in commit order: a later rendering of the same version replaces an earlier one
        latest[(item.resource_type, item.logical_id, item.version_id)] = item
    if not latest:
        return 0
    wanted = Q()
    for resource_type in {key[0] for key in latest}:
        logical_ids = sorted({key[1] for key in latest if key[0] == resource_type})
        wanted |= Q(resource_type=resource_type, logical_id__in=logical_ids)
    known = {(item.resource_type, item.logical_id, item.version_id): item for item in
             ResourceVersion.objects.filter(wanted).only("resource_type", "logical_id", "version_id", "content_sha256")}
    fresh = []
    refreshed = 0
    for key, item in latest.items():
        existing = known.get(key)
        if existing is None:
            fresh.append(ResourceVersion(resource_type=item.resource_type, logical_id=item.logical_id,
                                         version_id=item.version_id, last_updated=item.moment,
                                         patient_id=item.patient_id, content=item.resource,
                                         content_sha256=item.digest))
        elif existing.content_sha256 != item.digest:
            ResourceVersion.objects.filter(pk=existing.pk).update(content=item.resource, content_sha256=item.digest,
                                                                  last_updated=item.moment,
                                                                  patient_id=item.patient_id)
            refreshed += 1
    try:
        with transaction.atomic():
            insert_rows(ResourceVersion, fresh)  # one INSERT per batch, SQL built once
    except IntegrityError:
        # Another process kept one of these versions between our look-up and now: the same content,
        # rendered from the same committed row. Keep the others.
        ResourceVersion.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh) + refreshed


def stored_versions(resource_type: str, logical_id: Any) -> list[ResourceVersion]:
    """The kept versions of one resource, newest first."""
    return list(ResourceVersion.objects.filter(resource_type=resource_type, logical_id=str(logical_id))
                .order_by("-version_id"))


def stored_version(resource_type: str, logical_id: Any, version_id: int) -> ResourceVersion | None:
    return ResourceVersion.objects.filter(resource_type=resource_type, logical_id=str(logical_id),
                                          version_id=version_id).first()


def keeping_started() -> datetime | None:
    """When version keeping began, or None if nobody knows (the marker row is missing)."""
    return VersionKeeping.objects.order_by("started_at").values_list("started_at", flat=True).first()


def changed_since(resource_type: str, since: datetime) -> models.QuerySet[Any, Any] | None:
    """The logical ids of `resource_type` changed at or after `since` (a values queryset for a
    subquery), or None when that cannot be told: `since` is before version keeping began, or the type
    is not versioned (Practitioner, Organization), and then everything counts as changed."""
    started = keeping_started()
    if resource_type not in VERSIONED_TYPES or started is None or since < started:
        return None
    return ResourceVersion.objects.filter(resource_type=resource_type, last_updated__gte=since).values("logical_id")


# ----------------------------------------------------------------------------- receivers


def _receiver(targets: tuple[tuple[str, str], ...]) -> Any:
    def saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
        if raw:  # fixtures being loaded: no API change happened
            return
        for resource_type, attribute in targets:
            if resource_type == "Consent" and instance.document_type != DocumentType.CONSENT:
                continue  # only consent documents are Consent resources
            resource_changed(resource_type, getattr(instance, attribute))

    return saved


def _merge_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    # A merge (and its undoing) repoints rows with UPDATE, which sends no post_save: re-render both
    # charts. Content that did not change is not stored again.
    if raw:
        return
    for patient_id in (instance.survivor_id, instance.retired_id):
        _queue().add((CHART, int(patient_id)))
    transaction.on_commit(_flush, robust=True)


def _batch_saved(sender: Any, instance: Any, raw: bool = False, created: bool = False, **kwargs: Any) -> None:
    # Sending marks the batch's claims submitted with one UPDATE, in the transaction that made the batch.
    if raw:
        return
    _queue().add((BATCH, int(instance.pk)))
    transaction.on_commit(_flush, robust=True)


_receivers: list[Any] = []  # strong references: signals hold receivers weakly by default


def connect() -> None:
    from django.apps import apps

    for label, targets in WATCHED:
        receiver = _receiver(targets)
        _receivers.append(receiver)
        post_save.connect(receiver, sender=apps.get_model(label), dispatch_uid=f"interop-versions-{label}")
    post_save.connect(_merge_saved, sender=apps.get_model("patients.MergeEvent"), dispatch_uid="interop-versions-merge")
    post_save.connect(_batch_saved, sender=apps.get_model("billing.X12Batch"), dispatch_uid="interop-versions-batch")
