"""The importer writes a chart's resources in bulk (one call of a bulk action per resource type) and
keeps everything the one-at-a-time path gave: an audit event per resource on an intact chain, FHIR
versions and deficiency analysis of the rows written, refusals of single resources, fresh account
numbers, and a statement count that does not grow with the size of the chart."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chartdesk.audit.models import AuditEvent
from chartdesk.audit.verify import verify_chain
from chartdesk.charts.models import Document, Encounter
from chartdesk.clinical.models import Condition, Procedure
from chartdesk.completion.models import ChartCompletion
from chartdesk.interop.fhir.importer import FhirImporter
from chartdesk.interop.models import ResourceVersion, SourceRecord
from tests.interop import bundles
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def him(db):
    return factories.make_user("him_manager")


def chart(size: int, patient_id: str = bundles.PATIENT_ID, family: str = "Quigley") -> list[dict]:
    """A patient with `size` encounters, each with a condition, a procedure and a note."""
    resources = [bundles.patient(patient_id, family=family)]
    for number in range(size):
        encounter = bundles.encounter(f"{patient_id}-enc-{number}", f"Patient/{patient_id}")
        encounter["period"] = {"start": f"2024-03-{number % 27 + 1:02d}T08:00:00Z",
                               "end": f"2024-03-{number % 27 + 1:02d}T18:00:00Z"}
        reference = f"Encounter/{encounter['id']}"
        condition = {**bundles.condition(f"Patient/{patient_id}", reference), "id": f"{patient_id}-cond-{number}"}
        procedure = {**bundles.procedure(f"Patient/{patient_id}"), "id": f"{patient_id}-proc-{number}",
                     "encounter": {"reference": reference}}
        note = bundles.note(f"Patient/{patient_id}", text=f"Visit {number}: improving.")
        note["id"] = f"{patient_id}-doc-{number}"
        note["context"]["encounter"] = [{"reference": reference}]
        resources += [encounter, condition, procedure, note]
    return resources


def test_each_imported_resource_has_its_own_audit_event_on_an_intact_chain(tmp_path, him):
    path = bundles.write_ndjson(tmp_path, [bundles.practitioner(), *chart(3)])
    call_command("import", "fhir", str(path), "--by", him.username, stdout=io.StringIO())
    for model, object_type in ((Encounter, "encounter"), (Condition, "condition"), (Procedure, "procedure"),
                               (Document, "document")):
        rows = sorted(model.objects.values_list("pk", flat=True))
        events = sorted(int(pk) for pk in AuditEvent.objects.filter(object_type=object_type, action="create")
                        .values_list("object_id", flat=True))
        assert len(rows) == 3 and events == rows, object_type
    encounter_event = AuditEvent.objects.filter(object_type="encounter").first()
    assert encounter_event.detail["status"] == "finished" and encounter_event.detail["disposition"] == "01"
    assert encounter_event.username == "system-interface" and encounter_event.patient_mrn
    assert verify_chain().intact


@pytest.fixture
def each_chunk_commits(monkeypatch, django_capture_on_commit_callbacks):
    """Each chunk's transaction (a few charts, a savepoint each) runs its on-commit callbacks (versions,
    deficiency analysis) when it ends, as a real commit does; the test runs inside one test transaction."""
    one_chunk = FhirImporter._chunk

    def committed(importer, *args):
        with django_capture_on_commit_callbacks(execute=True):
            one_chunk(importer, *args)

    monkeypatch.setattr(FhirImporter, "_chunk", committed)


def test_bulk_written_rows_are_versioned_analysed_and_complete(tmp_path, him, each_chunk_commits):
    report = FhirImporter(requested_by=him).run(bundles.write_ndjson(tmp_path, [bundles.practitioner(), *chart(2)]))
    assert report.problems == []
    for resource_type, model in (("Encounter", Encounter), ("Condition", Condition), ("Procedure", Procedure),
                                 ("DocumentReference", Document)):
        kept = set(ResourceVersion.objects.filter(resource_type=resource_type).values_list("logical_id", flat=True))
        assert kept == {str(pk) for pk in model.objects.values_list("pk", flat=True)}, resource_type
    for document in Document.objects.all():
        assert (document.current_version.number, document.status) == (1, "preliminary")
        assert document.current_version.text.startswith("Visit ")
        assert document.encounter.patient_id == document.patient_id
    assert {encounter.attending.npi for encounter in Encounter.objects.all()} == {bundles.NPI}
    assert set(ChartCompletion.objects.values_list("encounter_id", flat=True)) == set(
        Encounter.objects.values_list("pk", flat=True))


def statements(path, user) -> int:
    with CaptureQueriesContext(connection) as captured:
        report = FhirImporter(requested_by=user).run(path)
    assert report.problems == []
    return len(captured.captured_queries)


def test_the_statements_an_import_runs_do_not_grow_with_the_chart(tmp_path, him):
    small, large = tmp_path / "small", tmp_path / "large"
    small.mkdir()
    large.mkdir()
    few = statements(bundles.write_ndjson(small, chart(2, "pat-small", "Small")), him)
    many = statements(bundles.write_ndjson(large, chart(40, "pat-large", "Large")), him)
    assert Condition.objects.filter(patient__family_name="Large").count() == 40
    # 160 resources more cost a handful of statements (bulk batches), not several per resource.
    assert many - few <= 10, (few, many)


def test_a_refused_encounter_is_reported_and_the_rest_of_the_chart_arrives(tmp_path, him):
    resources = chart(2)
    resources[1]["period"] = {"start": "1950-01-01T08:00:00Z"}  # before the patient was born (1961)
    report = FhirImporter(requested_by=him).run(bundles.write_ndjson(tmp_path, resources))
    assert [(problem.resource, problem.path) for problem in report.problems] == [
        (f"Encounter/{bundles.PATIENT_ID}-enc-0", "Encounter.admit_at")]
    assert "before the patient's date of birth" in report.problems[0].message
    assert Encounter.objects.count() == 1 and Condition.objects.count() == 2
    orphan = Condition.objects.get(encounter__isnull=True)  # it pointed at the refused encounter
    assert orphan.patient.family_name == "Quigley"
    assert not SourceRecord.objects.filter(source_id=f"{bundles.PATIENT_ID}-enc-0").exists()


def test_imported_encounters_draw_fresh_account_numbers_around_ones_taken(tmp_path, him):
    patient = factories.make_patient()
    taken = factories.make_encounter(patient, admit_at=datetime(2024, 1, 5, 9, 0).astimezone(),
                                     account_number="V10000002")
    FhirImporter(requested_by=him).run(bundles.write_ndjson(tmp_path, chart(3)))
    numbers = list(Encounter.objects.exclude(pk=taken.pk).values_list("account_number", flat=True))
    assert len(set(numbers)) == 3 and "V10000002" not in numbers
    assert all(number.startswith("V") for number in numbers)


def test_a_second_import_of_a_large_chart_changes_nothing(tmp_path, him):
    path = bundles.write_ndjson(tmp_path, [bundles.practitioner(), *chart(10)])
    FhirImporter(requested_by=him).run(path)
    before = (Encounter.objects.count(), Condition.objects.count(), Procedure.objects.count(),
              Document.objects.count(), AuditEvent.objects.exclude(object_type="fhir_import").count(),
              ResourceVersion.objects.count(), SourceRecord.objects.count())
    again = FhirImporter(requested_by=him).run(path)
    assert sum(again.created.values()) == 0 and again.unchanged["Condition"] == 10
    assert (Encounter.objects.count(), Condition.objects.count(), Procedure.objects.count(),
            Document.objects.count(), AuditEvent.objects.exclude(object_type="fhir_import").count(),
            ResourceVersion.objects.count(), SourceRecord.objects.count()) == before
