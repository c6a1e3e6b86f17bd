"""`chartdesk import fhir PATH`: FHIR R4 Bundles and bulk NDJSON (Synthea's, for one) into the MPI and
the chart, through the domain actions as the interface account.

- Idempotent: every imported resource is remembered in SourceRecord (source, type, id, content
  digest); importing the same file again finds each one and changes nothing. The records are read
  one patient at a time and written together at the end of each patient's transaction
  (source_index.py), not a query per resource.
- Atomic per patient: a patient and all their records are one savepoint, in a transaction of up to
  CHARTS_PER_TRANSACTION charts. A resource the actions refuse is reported (file, line, element
  path) and skipped (the bulk actions check every entry before they write any), so the rest of the
  chart still arrives; a patient that cannot be registered is skipped with all their records; an
  unexpected error rolls that patient back alone and their neighbours in the chunk are imported.
- Bulk writes: a chart's resources go through the bulk actions of charts and clinical, one call per
  resource type, encounters first: a few INSERTs per type and one locked append of their audit
  events (one event per resource) instead of about a dozen statements per resource.
- FHIR versions (versions.py) and the deficiency analysis run after each chunk's commit, as for any
  change (one load per resource type for the whole chunk); versions are written in batches.
- Patients go through the same MPI matching as a registration: a very likely match (score 20 or
  more) is linked instead of duplicated; a weaker one is registered and reported for review.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.import_actions import do_import_encounters, do_import_notes
from chartdesk.charts.models import Encounter, Provider
from chartdesk.clinical.actions import do_record_conditions, do_record_procedures
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.interop.fhir import import_mapping as mapping
from chartdesk.interop.fhir import versions
from chartdesk.interop.fhir.patient_resource import patient_element
from chartdesk.interop.fhir.source_index import KnownRecord, SourceIndex
from chartdesk.interop.fhir.sources import Problem, SourceResource, read_resources
from chartdesk.interop.fhir.validation import FhirInvalid, validate_resource
from chartdesk.interop.matching import conflicting_identifier, may_link
from chartdesk.interop.system_user import interface_user
from chartdesk.patients.models import Patient

logger = logging.getLogger("chartdesk.interop")
IMPORT_FHIR = "interop.import_fhir"
SHARED_TYPES = ("Organization", "Practitioner")
CHART_TYPES = ("Encounter", "Condition", "Procedure", "DocumentReference")
KEPT_TYPES = SHARED_TYPES + ("Patient",) + CHART_TYPES
VERSIONS_PER_WRITE = 1000  # FHIR versions held in memory before they are written (one transaction)
# Charts per transaction (each in its own savepoint): a commit, and the version rendering and
# deficiency analysis that follow it, cost about as much for fifty charts as for one.
CHARTS_PER_TRANSACTION = 50
@dataclass
class ImportReport:
    created: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    not_kept: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def resources_read(self) -> int:
        return sum(self.created.values()) + sum(self.unchanged.values()) + sum(self.not_kept.values()) + len(
            self.problems)


@dataclass
class _PatientGroup:
    patient: SourceResource | None = None
    resources: list[SourceResource] = field(default_factory=list)


class FhirImporter:
    def __init__(self, *, requested_by: Any, source: str = "fhir",
                 progress: Callable[[int, int], None] | None = None,
                 may_write: Callable[[str], bool] | None = None) -> None:
        if requested_by is None or not requested_by.is_authenticated or not requested_by.has_perm(IMPORT_FHIR):
            raise PermissionRefused(f"Importing needs the permission {IMPORT_FHIR} (HIM manager, administrator).")
        self.requested_by = requested_by
        self.source = source[:200]
        self.progress = progress
        self.may_write = may_write  # an API client's scopes: resource types it may not write are rejected
        self.system = interface_user()
        self.report = ImportReport()
        self.aliases: dict[str, str] = {}  # bundle fullUrl -> Type/id
        self.providers: dict[str, Provider | None] = {}
        self.index = SourceIndex(self.source)

    # ------------------------------------------------------------------ entry point

    def run(self, path: Path) -> ImportReport:
        shared: list[SourceResource] = []
        groups: dict[str, _PatientGroup] = defaultdict(_PatientGroup)
        for item in read_resources(path, self.report.problems):
            if item.resource_type not in KEPT_TYPES:
                self.report.not_kept[item.resource_type or "(no type)"] += 1
                continue
            if self.may_write is not None and not self.may_write(item.resource_type):
                self._problems(item, [(item.resource_type, f"this client's scopes do not allow writing "
                                                           f"{item.resource_type}")])
                continue
            try:
                validate_resource(item.resource)
            except FhirInvalid as invalid:
                self._problems(item, invalid.problems)
                continue
            if item.full_url and item.key != item.full_url:
                self.aliases[item.full_url] = item.key
            if item.resource_type in SHARED_TYPES:
                shared.append(item)
            elif item.resource_type == "Patient":
                groups[item.key].patient = item
            else:
                subject = item.resource.get("subject") or item.resource.get("patient") or {}
                groups[self._normal(subject.get("reference") or "")].resources.append(item)
        self.index.prefetch(key for item in shared for key in self._keys_of(item))
        for item in shared:
            with self.index.unit():
                self._shared(item)
        total = len(groups)
        pending = list(groups.items())
        # Charts are written CHARTS_PER_TRANSACTION at a time, each patient in a savepoint of that
        # transaction: one commit, one rendering of FHIR versions and one completion analysis per
        # chunk (they run when it commits) instead of per patient. The versions are written in one
        # transaction per VERSIONS_PER_WRITE.
        with versions.batched(every=VERSIONS_PER_WRITE) as write_versions:
            for start in range(0, total, CHARTS_PER_TRANSACTION):
                chunk = pending[start:start + CHARTS_PER_TRANSACTION]
                self._chunk(chunk)
                write_versions()
                if self.progress is not None:  # after the commit: a poll sees only committed charts
                    for done in range(start + 1, start + len(chunk) + 1):
                        self.progress(done, total)
        record_event(AuditAction.CREATE, user=self.requested_by, object_type="fhir_import",
                     detail={"source": self.source, "path": path.name, "created": dict(self.report.created),
                             "unchanged": dict(self.report.unchanged), "problems": len(self.report.problems)})
        return self.report

    # ------------------------------------------------------------------ bookkeeping

    def _normal(self, reference: str) -> str:
        return self.aliases.get(reference, reference)

    def _problems(self, item: SourceResource, problems: list[tuple[str, str]]) -> None:
        for path, message in problems:
            self.report.problems.append(Problem(item.file, item.line, item.label, path, message))

    def _warn(self, item: SourceResource, warnings: list[tuple[str, str]]) -> None:
        for path, message in warnings:
            self.report.warnings.append(Problem(item.file, item.line, item.label, path, message))

    @staticmethod
    def _source_id(item: SourceResource) -> str:
        return str(item.resource.get("id") or item.full_url)

    def _keys_of(self, item: SourceResource) -> list[tuple[str, str]]:
        keys = [(item.resource_type, self._source_id(item))]
        npi = mapping.npi_of(item.resource) if item.resource_type == "Practitioner" else ""
        if npi:
            keys.append(("Practitioner-npi", npi))
        return keys

    def _local(self, model: Any, resource_type: str, source_id: str) -> Any:
        """The local row an earlier import made of Type/id, or None."""
        record = self.index.get(resource_type, source_id)
        return model.objects.filter(pk=record.local_id).first() if record is not None else None

    def _remember(self, item: SourceResource, local: Any) -> None:
        self.index.remember(item.resource_type, self._source_id(item),
                            KnownRecord(type(local).__name__, local.pk, item.digest))

    def _seen(self, item: SourceResource) -> KnownRecord | None:
        """What this resource became in an earlier import, or None; changed content is reported."""
        record = self.index.get(item.resource_type, self._source_id(item))
        if record is None:
            return None
        if record.content_sha256 != item.digest:
            self._warn(item, [("", "changed since it was imported; import does not apply updates "
                                   "(change it at the desk or through the API)")])
        self.report.unchanged[item.resource_type] += 1
        return record

    # ------------------------------------------------------------------ references

    def provider_for(self, reference: dict[str, Any] | None) -> Provider | None:
        text = self._normal((reference or {}).get("reference") or "")
        if not text:
            return None
        if text not in self.providers:
            provider = None
            if text.startswith("Practitioner?identifier="):
                system, _, value = text.partition("=")[2].partition("|")
                provider = self._local(Provider, "Practitioner-npi", value)
                if provider is None and system == mapping.NPI_SYSTEM:
                    provider = mapping.provider_by_npi(value)
            elif text.startswith("Practitioner/"):
                provider = self._local(Provider, "Practitioner", text.partition("/")[2])
            self.providers[text] = provider
        return self.providers[text]

    def _encounter_resolver(self, encounters: dict[str, Encounter | None]) -> Callable[[dict[str, Any] | None], Any]:
        """References to encounters, resolved once per patient: those written in this run are at
        hand, those imported before are read once."""
        def encounter_for(reference: dict[str, Any] | None) -> Encounter | None:
            text = self._normal((reference or {}).get("reference") or "")
            if text not in encounters:
                encounters[text] = (self._local(Encounter, "Encounter", text.partition("/")[2])
                                    if text.startswith("Encounter/") else None)
            return encounters[text]

        return encounter_for

    # ------------------------------------------------------------------ writers

    def _shared(self, item: SourceResource) -> None:
        if self._seen(item) is not None:
            return
        writer = mapping.write_practitioner if item.resource_type == "Practitioner" else mapping.write_organization
        try:
            with transaction.atomic():
                written = writer(item.resource, acting_user=self.system)
            self._remember(item, written.row)
            npi = mapping.npi_of(item.resource)
            if item.resource_type == "Practitioner" and npi:
                self.index.remember("Practitioner-npi", npi, KnownRecord("Provider", written.row.pk, item.digest),
                                    alias=True)
        except ChartdeskError as refusal:
            self._problems(item, [mapping.refusal_problem(item.resource_type, refusal)])
            return
        self._warn(item, written.warnings)
        self.report.created[item.resource_type] += 1

    def _patient(self, patient_key: str, group: _PatientGroup) -> Patient | None:
        item = group.patient
        if item is None:
            patient = self._local(Patient, "Patient", patient_key.partition("/")[2])
            if patient is None:
                for orphan in group.resources:
                    self._problems(orphan, [(f"{orphan.resource_type}.subject",
                                             f"{patient_key or '(none)'} is neither in this import nor imported "
                                             "before")])
            return patient
        seen = self._seen(item)
        if seen is not None:
            return Patient.objects.filter(pk=seen.local_id).first()
        from chartdesk.patients.actions import do_register_patient
        from chartdesk.patients.linkage_match import match_record
        from chartdesk.patients.validation import InvalidPatientData

        try:
            registration, warnings = mapping.import_registration(item.resource)
        except FhirInvalid as invalid:
            self._problems(item, invalid.problems)
            return None
        candidates = match_record(registration)
        linkable = [candidate for candidate in candidates
                    if not conflicting_identifier(candidate.patient, list(registration.identifiers))]
        best = candidates[0] if candidates else None
        if linkable and may_link(linkable[0]):
            best = linkable[0]
            patient = best.patient
            self.report.notes.append(f"{item.file}:{item.line}: {item.label}: linked to MRN {patient.mrn} "
                                     f"({best.likelihood}: {', '.join(best.reasons)})")
        else:
            try:
                patient = do_register_patient(registration, acting_user=self.system)
            except InvalidPatientData as invalid:
                self._problems(item, [(patient_element(item.resource, name), message)
                                      for name, message in invalid.errors.items()])
                return None
            except ChartdeskError as refusal:
                self._problems(item, [mapping.refusal_problem("Patient", refusal)])
                return None
            if best is not None:
                self.report.notes.append(f"{item.file}:{item.line}: {item.label}: registered as MRN {patient.mrn}; "
                                         f"possible duplicate of MRN {best.patient.mrn} "
                                         f"(probability {best.probability:.2f}) for HIM review")
            self.report.created["Patient"] += 1
        self._warn(item, warnings)
        self._remember(item, patient)
        return patient

    def _chunk(self, chunk: list[tuple[str, _PatientGroup]]) -> None:
        """One transaction for these charts, a savepoint for each (_patient_group): a patient that fails
        is rolled back alone, and their neighbours commit."""
        with transaction.atomic():
            for patient_key, group in chunk:
                self._patient_group(patient_key, group)

    def _patient_group(self, patient_key: str, group: _PatientGroup) -> None:
        problems_before, warnings_before = len(self.report.problems), len(self.report.warnings)
        created_before = Counter(self.report.created)
        unchanged_before = Counter(self.report.unchanged)
        self.index.prefetch([("Patient", patient_key.partition("/")[2])] +
                            [(item.resource_type, self._source_id(item))
                             for item in ([group.patient] if group.patient else []) + group.resources])
        try:
            with self.index.unit():
                patient = self._patient(patient_key, group)
                if patient is None:
                    return
                self._chart(patient, group)
        except Exception:
            # Whatever went wrong, the patient's transaction is rolled back as a whole, and the
            # report must say so rather than count rows that no longer exist.
            logger.exception("FHIR import of %s failed", patient_key)
            del self.report.problems[problems_before:]
            del self.report.warnings[warnings_before:]
            self.report.created, self.report.unchanged = created_before, unchanged_before
            label = group.patient.label if group.patient else patient_key
            file, line = (group.patient.file, group.patient.line) if group.patient else ("", 0)
            self.report.problems.append(Problem(file, line, label, "", "unexpected error: this patient and all "
                                                                        "their records were rolled back"))

    @staticmethod
    def _ordered(items: list[SourceResource]) -> list[SourceResource]:
        def order(item: SourceResource) -> tuple[int, str]:
            start = (item.resource.get("period") or {}).get("start") or ""
            return CHART_TYPES.index(item.resource_type), start

        return sorted(items, key=order)

    def _chart(self, patient: Patient, group: _PatientGroup) -> None:
        """A patient's chart resources through the bulk actions, encounters first so that the others
        can point at them: a few statements per resource type instead of several per resource."""
        encounters: dict[str, Encounter | None] = {}
        links = mapping.Links(patient=patient, encounter_for=self._encounter_resolver(encounters),
                              provider_for=self.provider_for, source=f"FHIR import ({self.source})")
        fresh: dict[str, list[SourceResource]] = defaultdict(list)
        keys: set[tuple[str, str]] = set()
        for item in self._ordered(group.resources):
            key = (item.resource_type, self._source_id(item))
            if key in keys:  # repeated in this import: written once, the repeat counted as unchanged
                self.report.unchanged[item.resource_type] += 1
            elif self._seen(item) is None:
                keys.add(key)
                fresh[item.resource_type].append(item)
        for item, row in self._write(fresh["Encounter"], mapping.encounter_entry, do_import_encounters, links):
            encounters[item.key] = row
        self._write(fresh["Condition"], _plain(mapping.condition_entry), do_record_conditions, links)
        self._write(fresh["Procedure"], _plain(mapping.procedure_entry), do_record_procedures, links)
        self._write(fresh["DocumentReference"], _plain(mapping.note_entry), do_import_notes, links)

    def _write(self, items: list[SourceResource], build: EntryBuilder, action: BulkAction,
               links: mapping.Links) -> list[tuple[SourceResource, Any]]:
        """Map each resource to its entry, write the entries with one bulk action, and account for
        each resource: created (remembered in the source index), or refused with its element path."""
        planned: list[tuple[SourceResource, Any, list[tuple[str, str]]]] = []
        for item in items:
            try:
                entry, warnings = build(item.resource, links)
            except FhirInvalid as invalid:
                self._problems(item, invalid.problems)
                continue
            planned.append((item, entry, warnings))
        if not planned:
            return []
        try:
            outcomes = action(links.patient, [entry for _, entry, _ in planned], acting_user=self.system)
        except ChartdeskError as refusal:  # the chart itself refuses (merged, restricted): every entry
            outcomes = [refusal] * len(planned)
        written = []
        for (item, _, warnings), outcome in zip(planned, outcomes, strict=True):
            if isinstance(outcome, ChartdeskError):
                self._problems(item, [mapping.refusal_problem(item.resource_type, outcome)])
                continue
            self._remember(item, outcome)
            self._warn(item, warnings)
            self.report.created[item.resource_type] += 1
            written.append((item, outcome))
        return written


EntryBuilder = Callable[[dict[str, Any], mapping.Links], tuple[Any, list[tuple[str, str]]]]
BulkAction = Callable[..., list[Any]]


def _plain(build: Callable[[dict[str, Any], mapping.Links], Any]) -> EntryBuilder:
    """A mapping that warns of nothing, as an EntryBuilder."""
    return lambda resource, links: (build(resource, links), [])
