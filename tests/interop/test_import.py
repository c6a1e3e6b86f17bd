"""`chartdesk import fhir`: bundles and NDJSON into the MPI and the chart, idempotent, atomic per
patient, bad resources reported with file, line and element path, MPI matching like registration."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.models import Document, Encounter, Provider
from chartdesk.clinical.models import Condition, Organization, Procedure
from chartdesk.core.errors import PermissionRefused
from chartdesk.interop.fhir.importer import FhirImporter
from chartdesk.interop.models import SourceRecord
from chartdesk.patients.models import Patient
from tests.interop import bundles
from tests.support import factories

pytestmark = pytest.mark.django_db


def counts():
    return {model.__name__: model.objects.count()
            for model in (Patient, Encounter, Document, Condition, Procedure, Provider, Organization)}


@pytest.fixture
def him(db):
    return factories.make_user("him_manager")


@pytest.fixture
def folder(tmp_path):
    return tmp_path


def run_import(path, user):
    return FhirImporter(requested_by=user).run(path)


@pytest.mark.parametrize("kind", ["collection", "transaction"])
def test_a_bundle_becomes_a_patient_with_chart(folder, him, kind):
    report = run_import(bundles.write_bundle(folder, bundles.full_chart(), kind=kind), him)
    assert report.problems == []
    patient = Patient.objects.get()
    assert (patient.given_name, patient.family_name, patient.birth_date) == ("Rosalind", "Quigley", date(1961, 2, 17))
    assert patient.identifiers.get(type="MR").value == "MR-pat-0001"
    assert patient.ssn_last4 == ""  # a never-issued 999 SSN is left out, with a warning
    assert any("SSN left out" in problem.message for problem in report.warnings)
    encounter = Encounter.objects.get()
    assert (encounter.encounter_class, encounter.status, encounter.discharge_disposition) == (
        "inpatient", "finished", "01")
    assert encounter.attending.npi == bundles.NPI
    condition = Condition.objects.get()
    assert (condition.code_system, condition.code, condition.clinical_status, condition.encounter_id) == (
        "snomed", "233604007", "resolved", encounter.pk)
    assert Procedure.objects.get().code == "399208008"
    document = Document.objects.get()
    assert document.current_version.text == "Admitted with pneumonia."
    assert (document.document_type, document.author.family_name) == ("34117-2", "Lister")
    assert Organization.objects.get().name == "Springfield General"


def test_importing_again_changes_nothing(folder, him):
    path = bundles.write_bundle(folder, bundles.full_chart())
    run_import(path, him)
    before = counts()
    events_before = AuditEvent.objects.exclude(object_type="fhir_import").count()
    report = run_import(path, him)
    assert counts() == before
    assert AuditEvent.objects.exclude(object_type="fhir_import").count() == events_before
    assert sum(report.created.values()) == 0
    assert sum(report.unchanged.values()) == 7


def test_ndjson_files_in_a_folder_import_like_a_bundle(folder, him):
    resources = bundles.full_chart()
    bundles.write_ndjson(folder, [r for r in resources if r["resourceType"] != "Condition"], "Main.ndjson")
    bundles.write_ndjson(folder, [bundles.condition()], "Condition.ndjson")
    report = run_import(folder, him)
    assert report.problems == []
    assert counts()["Condition"] == 1 and counts()["Encounter"] == 1


def test_a_bad_resource_is_reported_with_file_line_and_path_and_the_rest_arrives(folder, him):
    broken = bundles.procedure()
    broken["performedPeriod"] = {"start": "last tuesday"}
    lines = [bundles.patient(), bundles.encounter(), broken, bundles.condition()]
    path = bundles.write_ndjson(folder, lines)
    report = run_import(path, him)
    assert [str(problem).split(": ")[0] for problem in report.problems] == ["data.ndjson:3"]
    assert report.problems[0].path == "Procedure.performedPeriod.start"
    assert report.problems[0].resource == "Procedure/proc-1"
    assert counts()["Patient"] == 1 and counts()["Condition"] == 1 and counts()["Procedure"] == 0


def test_a_resource_the_actions_refuse_is_skipped_inside_the_patient(folder, him):
    future = bundles.note()
    future["context"]["period"]["start"] = "2999-01-01T00:00:00Z"
    report = run_import(bundles.write_ndjson(folder, [bundles.patient(), bundles.encounter(), future,
                                                      bundles.condition()]), him)
    assert len(report.problems) == 1
    assert report.problems[0].path == "DocumentReference.service_date"
    assert "after today" in report.problems[0].message
    assert counts()["Document"] == 0 and counts()["Condition"] == 1


def test_a_patient_that_cannot_be_registered_is_skipped_with_their_records(folder, him):
    nameless = bundles.patient()
    nameless["name"] = [{"use": "official", "family": "1234"}]
    other = bundles.patient("pat-0002", family="Okafor", given="Chidi", born="1990-07-04", gender="male")
    report = run_import(bundles.write_ndjson(folder, [nameless, bundles.encounter(), other]), him)
    assert counts()["Patient"] == 1 and counts()["Encounter"] == 0
    paths = [problem.path for problem in report.problems]
    assert "Patient.name[0]" in paths


def test_records_of_an_unknown_patient_are_reported(folder, him):
    report = run_import(bundles.write_ndjson(folder, [bundles.condition(patient_ref="Patient/nobody")]), him)
    assert report.problems[0].path == "Condition.subject"
    assert counts()["Condition"] == 0


def test_unreadable_lines_are_reported_and_skipped(folder, him):
    path = folder / "mixed.ndjson"
    path.write_text(json.dumps(bundles.patient()) + "\n{not json\n")
    report = run_import(path, him)
    assert str(report.problems[0]).startswith("mixed.ndjson:2: (line): not JSON")
    assert counts()["Patient"] == 1


def test_a_very_likely_match_is_linked_not_duplicated(folder, him):
    existing = factories.make_patient("Rosalind", "Quigley", birth_date=date(1961, 2, 17), sex="F",
                                      phones=(("home", "217-555-0142"),))
    report = run_import(bundles.write_bundle(folder, bundles.full_chart()), him)
    assert Patient.objects.count() == 1
    assert Encounter.objects.get().patient_id == existing.pk
    assert any(f"linked to MRN {existing.mrn}" in note for note in report.notes)
    assert SourceRecord.objects.get(resource_type="Patient").local_id == existing.pk


@pytest.mark.parametrize("role", ["registrar", "coder", "provider", "privacy_officer"])
def test_only_him_managers_and_administrators_import(role):
    with pytest.raises(PermissionRefused):
        FhirImporter(requested_by=factories.make_user(role))


def test_the_command_prints_a_summary_and_the_problems(folder, him):
    broken = bundles.condition()
    broken["code"] = "pneumonia"
    path = bundles.write_ndjson(folder, [bundles.patient(), bundles.encounter(), broken])
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "fhir", str(path), "--by", him.username, stdout=out, stderr=err)
    assert "Imported 1 Encounter, 1 Patient" in out.getvalue()
    assert "skipped: data.ndjson:3: Condition/cond-1: Condition.code:" in err.getvalue()
    with pytest.raises(CommandError, match="No such file"):
        call_command("import", "fhir", str(folder / "missing.json"), "--by", him.username)
