"""The importer writes several charts per transaction, each patient in a savepoint of it: a patient
that fails is rolled back alone and their neighbours in the same chunk arrive; every resource keeps
its audit event and its FHIR version (as the API serves it); a second import changes nothing."""

from __future__ import annotations

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.audit.verify import verify_chain
from chartdesk.charts.models import Document, Encounter
from chartdesk.clinical.models import Condition
from chartdesk.interop.fhir import importer
from chartdesk.interop.fhir.importer import FhirImporter
from chartdesk.interop.models import ResourceVersion, SourceRecord
from chartdesk.patients.models import Patient
from tests.interop import bundles
from tests.support import factories

pytestmark = pytest.mark.django_db
FAMILIES = ("Okafor", "Lindqvist", "Tanaka")


@pytest.fixture
def him(db):
    return factories.make_user("him_manager")


@pytest.fixture
def each_chunk_commits(monkeypatch, django_capture_on_commit_callbacks):
    """Each chunk's transaction runs its on-commit callbacks (versions, deficiency analysis) when it
    ends, as a real commit does; the test runs inside one test transaction."""
    one_chunk = FhirImporter._chunk

    def committed(importer_, *args):
        with django_capture_on_commit_callbacks(execute=True):
            one_chunk(importer_, *args)

    monkeypatch.setattr(FhirImporter, "_chunk", committed)


def charts() -> list[dict]:
    """Three patients, each with an encounter, a condition and a note."""
    resources: list[dict] = [bundles.practitioner()]
    for number, family in enumerate(FAMILIES, 1):
        patient_ref, encounter_ref = f"Patient/pat-{number}", f"Encounter/enc-{number}"
        note = bundles.note(patient_ref, text=f"Note of {family}.")
        note["id"] = f"doc-{number}"
        note["context"]["encounter"] = [{"reference": encounter_ref}]
        resources += [bundles.patient(f"pat-{number}", family=family, given="Ana", born=f"198{number}-02-03"),
                      bundles.encounter(f"enc-{number}", patient_ref),
                      {**bundles.condition(patient_ref, encounter_ref), "id": f"cond-{number}"}, note]
    return resources


def everything() -> dict[str, int]:
    return {"patients": Patient.objects.count(), "encounters": Encounter.objects.count(),
            "conditions": Condition.objects.count(), "documents": Document.objects.count(),
            "events": AuditEvent.objects.exclude(object_type="fhir_import").count(),
            "versions": ResourceVersion.objects.count(), "sources": SourceRecord.objects.count()}


def test_a_failing_patient_in_a_chunk_rolls_back_alone_and_its_neighbours_arrive(tmp_path, him, monkeypatch,
                                                                                each_chunk_commits):
    real_writer = importer.do_import_notes

    def failing_writer(patient, entries, **kwargs):
        written = real_writer(patient, entries, **kwargs)  # written, then something unexpected fails
        if patient.family_name == "Lindqvist":
            raise RuntimeError("disk on fire")
        return written

    monkeypatch.setattr(importer, "do_import_notes", failing_writer)
    chunks: list[int] = []
    one_chunk = FhirImporter._chunk
    monkeypatch.setattr(FhirImporter, "_chunk", lambda self, chunk: (chunks.append(len(chunk)), one_chunk(self, chunk)))

    report = FhirImporter(requested_by=him).run(bundles.write_ndjson(tmp_path, charts()))

    assert chunks == [3]  # all three charts in one transaction
    assert [(problem.resource, "rolled back" in problem.message) for problem in report.problems] == [
        ("Patient/pat-2", True)]
    assert sorted(Patient.objects.values_list("family_name", flat=True)) == ["Okafor", "Tanaka"]
    assert sorted(Document.objects.values_list("patient__family_name", flat=True)) == ["Okafor", "Tanaka"]
    assert (report.created["Patient"], report.created["Encounter"], report.created["DocumentReference"]) == (2, 2, 2)
    kept = {(row.resource_type, row.logical_id) for row in ResourceVersion.objects.all()}
    written = {("Patient", str(pk)) for pk in Patient.objects.values_list("pk", flat=True)}
    written |= {("Encounter", str(pk)) for pk in Encounter.objects.values_list("pk", flat=True)}
    written |= {("Condition", str(pk)) for pk in Condition.objects.values_list("pk", flat=True)}
    written |= {("DocumentReference", str(pk)) for pk in Document.objects.values_list("pk", flat=True)}
    assert kept == written  # the rolled-back chart left no version behind
    assert {row.patient.family_name for row in Encounter.objects.all()} == {"Okafor", "Tanaka"}
    assert not SourceRecord.objects.filter(source_id__in=["pat-2", "enc-2", "cond-2", "doc-2"]).exists()

    monkeypatch.setattr(importer, "do_import_notes", real_writer)
    again = FhirImporter(requested_by=him).run(bundles.write_ndjson(tmp_path, charts()))
    assert again.problems == []
    assert (again.created["Patient"], again.unchanged["Patient"]) == (1, 2)
    assert Document.objects.get(patient__family_name="Lindqvist").current_version.text == "Note of Lindqvist."


def test_every_resource_of_a_multi_chart_chunk_has_its_audit_event_and_a_second_import_changes_nothing(
        tmp_path, him, monkeypatch, each_chunk_commits):
    monkeypatch.setattr(importer, "CHARTS_PER_TRANSACTION", 2)  # two chunks: two charts, then one
    path = bundles.write_ndjson(tmp_path, charts())
    report = FhirImporter(requested_by=him).run(path)
    assert report.problems == []
    for model, object_type in ((Patient, "patient"), (Encounter, "encounter"), (Condition, "condition"),
                               (Document, "document")):
        rows = sorted(model.objects.values_list("pk", flat=True))
        events = sorted(int(pk) for pk in AuditEvent.objects.filter(object_type=object_type, action="create")
                        .values_list("object_id", flat=True))
        assert len(rows) == 3 and events == rows, object_type
    before = everything()

    again = FhirImporter(requested_by=him).run(path)

    assert sum(again.created.values()) == 0 and again.unchanged["Patient"] == 3
    assert everything() == before
    assert verify_chain().intact


def test_the_versions_an_import_stores_are_what_the_api_serves(tmp_path, him, fhir_as, each_chunk_commits):
    FhirImporter(requested_by=him).run(bundles.write_ndjson(tmp_path, charts()))
    api = fhir_as("him_manager")
    stored = list(ResourceVersion.objects.order_by("resource_type", "logical_id"))
    assert {row.resource_type for row in stored} == {"Patient", "Encounter", "Condition", "DocumentReference"}
    assert len(stored) == 12
    for row in stored:
        served = api.get(f"/fhir/{row.resource_type}/{row.logical_id}").json()
        assert served["meta"]["versionId"] == row.content["meta"]["versionId"] == str(row.version_id)
        assert {**served, "meta": None} == {**row.content, "meta": None}, (row.resource_type, row.logical_id)
