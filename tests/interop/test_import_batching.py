"""The importer reads and writes its source records in batches (one patient at a time) while keeping
its guarantees: a repeat inside one file is written once, and a patient rolled back leaves no record
behind, so the next import brings them in whole."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chartdesk.charts.models import Document, Encounter
from chartdesk.clinical.models import Condition
from chartdesk.interop.fhir import importer
from chartdesk.interop.fhir.importer import FhirImporter
from chartdesk.interop.models import SourceRecord
from chartdesk.patients.models import Patient
from tests.interop import bundles
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def him(db):
    return factories.make_user("him_manager")


def conditions(count: int) -> list[dict]:
    made = []
    for number in range(count):
        condition = bundles.condition()
        condition["id"] = f"cond-{number}"
        made.append(condition)
    return made


def source_record_queries(path, user) -> int:
    with CaptureQueriesContext(connection) as captured:
        report = FhirImporter(requested_by=user).run(path)
    assert report.problems == []
    return sum(1 for query in captured.captured_queries if "interop_sourcerecord" in query["sql"])


def test_source_records_take_the_same_few_queries_for_five_conditions_as_for_fifty(tmp_path, him):
    small = tmp_path / "small"
    small.mkdir()
    large = tmp_path / "large"
    large.mkdir()
    few = source_record_queries(bundles.write_ndjson(small, [bundles.practitioner(), bundles.patient(),
                                                             bundles.encounter(), *conditions(5)]), him)
    other = bundles.patient("pat-0002", family="Okafor", given="Chidi", born="1990-07-04", gender="male")
    many_conditions = [{**condition, "id": f"other-{condition['id']}", "subject": {"reference": "Patient/pat-0002"},
                        "encounter": {"reference": "Encounter/enc-2"}} for condition in conditions(50)]
    many = source_record_queries(bundles.write_ndjson(large, [other, bundles.encounter("enc-2", "Patient/pat-0002"),
                                                              *many_conditions]), him)
    assert Condition.objects.filter(patient__family_name="Okafor").count() == 50
    assert SourceRecord.objects.filter(resource_type="Condition").count() == 55
    assert many <= few <= 6


def test_a_resource_repeated_in_one_file_is_written_once_and_counted_unchanged(tmp_path, him):
    path = bundles.write_ndjson(tmp_path, [bundles.patient(), bundles.encounter(), bundles.condition(),
                                           bundles.condition()])
    report = FhirImporter(requested_by=him).run(path)
    assert report.problems == []
    assert Condition.objects.count() == 1
    assert (report.created["Condition"], report.unchanged["Condition"]) == (1, 1)
    assert SourceRecord.objects.filter(resource_type="Condition").count() == 1


def test_a_patient_rolled_back_leaves_no_source_record_and_arrives_whole_next_time(tmp_path, him, monkeypatch):
    other = bundles.patient("pat-0002", family="Okafor", given="Chidi", born="1990-07-04", gender="male")
    path = bundles.write_ndjson(tmp_path, [bundles.practitioner(), bundles.patient(), bundles.encounter(),
                                           bundles.note(), other])
    real_writer = importer.do_import_notes

    def failing_writer(*args, **kwargs):
        real_writer(*args, **kwargs)  # the notes are written, then something unexpected fails
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importer, "do_import_notes", failing_writer)
    report = FhirImporter(requested_by=him).run(path)
    assert [problem.resource for problem in report.problems] == ["Patient/pat-0001"]
    assert "rolled back" in report.problems[0].message
    assert list(Patient.objects.values_list("family_name", flat=True)) == ["Okafor"]
    assert Encounter.objects.count() == 0
    assert sorted(SourceRecord.objects.values_list("resource_type", flat=True)) == [
        "Patient", "Practitioner", "Practitioner-npi"]

    assert Document.objects.count() == 0
    monkeypatch.setattr(importer, "do_import_notes", real_writer)
    again = FhirImporter(requested_by=him).run(path)
    assert again.problems == []
    assert (again.created["Patient"], again.created["Encounter"], again.created["DocumentReference"]) == (1, 1, 1)
    assert again.unchanged["Patient"] == 1 and again.unchanged["Practitioner"] == 1
    assert Document.objects.get().current_version.text == "Admitted with pneumonia."
