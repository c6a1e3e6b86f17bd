"""During an import, FHIR versions are rendered when each chunk's transaction commits (so every
version is seen as it was) but written together, one transaction per chunk, and none is lost. Tests
run inside one test transaction, so each "commit" runs its on-commit callbacks where a real commit
would (django_capture_on_commit_callbacks with execute=True)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chartdesk.interop.fhir import versions
from chartdesk.interop.fhir.importer import FhirImporter
from chartdesk.interop.models import ResourceVersion
from chartdesk.patients.actions import do_update_demographics
from chartdesk.patients.models import Patient
from tests.interop import bundles
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def each_chunk_commits(monkeypatch, django_capture_on_commit_callbacks):
    """Each chunk's transaction (a few charts, a savepoint each) runs its on-commit callbacks when it
    ends, as a real commit does."""
    one_chunk = FhirImporter._chunk

    def committed(importer, *args):
        with django_capture_on_commit_callbacks(execute=True):
            one_chunk(importer, *args)

    monkeypatch.setattr(FhirImporter, "_chunk", committed)


def kept() -> set[tuple[str, int]]:
    return {(row.resource_type, row.version_id) for row in ResourceVersion.objects.all()}


def official_family(resource: dict) -> str:
    return next(name["family"] for name in resource["name"] if name["use"] == "official")


def version_inserts(captured: CaptureQueriesContext) -> int:
    return sum(1 for query in captured.captured_queries
               if query["sql"].startswith('INSERT INTO "interop_resourceversion"'))


def three_charts(folder) -> list[dict]:
    resources: list[dict] = [bundles.practitioner()]
    for number, (family, given) in enumerate((("Okafor", "Chidi"), ("Lindqvist", "Maja"), ("Tanaka", "Ren")), 1):
        patient_ref = f"Patient/pat-{number}"
        resources.append(bundles.patient(f"pat-{number}", family=family, given=given, born=f"198{number}-02-03",
                                         gender="female"))
        resources.append(bundles.encounter(f"enc-{number}", patient_ref))
        resources.append({**bundles.condition(patient_ref, f"Encounter/enc-{number}"), "id": f"cond-{number}"})
    return resources


def test_an_import_keeps_every_version_in_one_write_for_all_its_patients(tmp_path, each_chunk_commits):
    him = factories.make_user("him_manager")
    path = bundles.write_ndjson(tmp_path, three_charts(tmp_path))

    with CaptureQueriesContext(connection) as captured:
        report = FhirImporter(requested_by=him).run(path)

    assert report.problems == []
    assert version_inserts(captured) == 1
    rows = list(ResourceVersion.objects.order_by("resource_type", "logical_id"))
    assert [row.resource_type for row in rows] == ["Condition"] * 3 + ["Encounter"] * 3 + ["Patient"] * 3
    families = sorted(official_family(row.content) for row in rows if row.resource_type == "Patient")
    assert families == ["Lindqvist", "Okafor", "Tanaka"]
    assert {row.patient_id for row in rows} == set(Patient.objects.values_list("pk", flat=True))


def test_an_import_in_chunks_writes_once_per_chunk_and_keeps_the_same_versions(tmp_path, monkeypatch,
                                                                                each_chunk_commits):
    him = factories.make_user("him_manager")
    path = bundles.write_ndjson(tmp_path, three_charts(tmp_path))
    monkeypatch.setattr("chartdesk.interop.fhir.importer.VERSIONS_PER_WRITE", 3)  # one chart's versions
    monkeypatch.setattr("chartdesk.interop.fhir.importer.CHARTS_PER_TRANSACTION", 1)

    with CaptureQueriesContext(connection) as captured:
        FhirImporter(requested_by=him).run(path)

    assert version_inserts(captured) == 3
    assert ResourceVersion.objects.count() == 9


def test_two_changes_committed_in_one_batch_keep_both_versions_as_each_was(django_capture_on_commit_callbacks):
    registrar = factories.make_user("registrar")
    patient = factories.make_patient("Ana", "Silva")
    ResourceVersion.objects.all().delete()  # keep only what the batch writes

    with versions.batched():
        with django_capture_on_commit_callbacks(execute=True):
            first = do_update_demographics(patient, {"family_name": "Silva-Reyes"},
                                           expected_revision=patient.revision, acting_user=registrar)
        with django_capture_on_commit_callbacks(execute=True):
            do_update_demographics(first, {"family_name": "Reyes"}, expected_revision=first.revision,
                                   acting_user=registrar)
        assert ResourceVersion.objects.count() == 0  # held until the batch ends

    stored = {row.version_id: official_family(row.content)
              for row in ResourceVersion.objects.filter(resource_type="Patient", logical_id=str(patient.pk))}
    assert stored == {first.revision: "Silva-Reyes", first.revision + 1: "Reyes"}


def test_versions_held_when_a_batch_fails_are_still_written(django_capture_on_commit_callbacks):
    registrar = factories.make_user("registrar")
    patient = factories.make_patient("Ana", "Silva")
    ResourceVersion.objects.all().delete()

    with pytest.raises(RuntimeError), versions.batched():
        with django_capture_on_commit_callbacks(execute=True):
            do_update_demographics(patient, {"family_name": "Reyes"}, expected_revision=patient.revision,
                                   acting_user=registrar)
        raise RuntimeError("the import stopped half-way")

    assert kept() == {("Patient", patient.revision + 1)}


def rendering_queries(keys) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as captured:
        rendered = versions.render_versions(keys)
    return len(captured.captured_queries), rendered


def test_rendering_the_versions_of_many_encounters_and_notes_takes_as_few_queries_as_of_one():
    from datetime import timedelta

    from chartdesk.charts.actions import do_discharge_encounter
    from chartdesk.charts.models import Document, Encounter
    from chartdesk.interop.fhir.chart_resources import encounter_to_fhir
    from tests.interop.records import make_chart

    charts = [make_chart(given=given, family="Garcia") for given in ("Maria", "Lucia", "Elena")]
    discharged = do_discharge_encounter(charts[1].encounter, discharge_at=charts[1].encounter.admit_at
                                        + timedelta(days=3), disposition="01",
                                        acting_user=factories.make_user("registrar"))

    one, _ = rendering_queries([("Encounter", charts[0].encounter.pk), ("DocumentReference", charts[0].note.pk)])
    many, rendered = rendering_queries([("Encounter", chart.encounter.pk) for chart in charts]
                                       + [("DocumentReference", chart.note.pk) for chart in charts])

    assert many == one
    by_key = {(item.resource_type, int(item.logical_id)): item for item in rendered}
    for chart in charts:  # the same content and version as a read of each, one at a time
        encounter = Encounter.objects.get(pk=chart.encounter.pk)
        assert by_key[("Encounter", encounter.pk)].resource["meta"]["versionId"] == \
            encounter_to_fhir(encounter)["meta"]["versionId"]
        note = Document.objects.get(pk=chart.note.pk)
        assert by_key[("DocumentReference", note.pk)].resource["content"][0]["attachment"]["url"] == \
            f"Binary/{note.current_version_id}"
    assert by_key[("Encounter", discharged.pk)].version_id == 2
    assert by_key[("Encounter", charts[0].encounter.pk)].version_id == 1
