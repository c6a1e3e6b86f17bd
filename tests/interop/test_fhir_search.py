"""US Core search parameters, paging with next links, _include and _revinclude, bad parameters."""

from __future__ import annotations

from datetime import date

import pytest

from chartdesk.interop.fhir.validation import validate_resource
from tests.interop.records import make_chart
from tests.support import factories

pytestmark = pytest.mark.django_db


def ids(bundle):
    return [entry["resource"]["id"] for entry in bundle.get("entry", []) if entry["search"]["mode"] == "match"]


def test_patient_search_by_family_given_birthdate_and_gender(fhir_as):
    maria = factories.make_patient("Maria", "Garcia", birth_date=date(1980, 3, 15), sex="F")
    factories.make_patient("Mario", "Garcia", birth_date=date(1975, 1, 2), sex="M")
    factories.make_patient("Ann", "Smith", birth_date=date(1980, 3, 15), sex="F")
    api = fhir_as("registrar")
    assert ids(api.get("/fhir/Patient?family=garcia&gender=female").json()) == [str(maria.pk)]
    assert ids(api.get("/fhir/Patient?given=Mari&birthdate=1980-03-15").json()) == [str(maria.pk)]
    assert len(ids(api.get("/fhir/Patient?birthdate=1980").json())) == 2
    assert len(ids(api.get("/fhir/Patient?birthdate=ge1976-01-01&name=garcia").json())) == 1
    assert ids(api.get("/fhir/Patient?name=smi").json()) != []


def test_patient_search_by_mrn_and_other_identifier(fhir_as):
    from chartdesk.patients.schemas import IdentifierInput

    patient = factories.make_patient("Lee", "Wong", identifiers=(IdentifierInput("MB", "Aetna", "W123456789"),))
    api = fhir_as("registrar")
    assert ids(api.get(f"/fhir/Patient?identifier=urn:chartdesk:mrn|{patient.mrn}").json()) == [str(patient.pk)]
    assert ids(api.get("/fhir/Patient?identifier=W123456789").json()) == [str(patient.pk)]
    assert ids(api.get("/fhir/Patient?identifier=W999").json()) == []


def test_paging_follows_next_links_until_every_patient_is_seen(fhir_as):
    made = {str(factories.make_patient(f"Kim{letter}", "Park").pk) for letter in "abcde"}
    api = fhir_as("registrar")
    seen: list[str] = []
    url = "/fhir/Patient?family=Park&_count=2"
    pages = 0
    while url:
        bundle = api.get(url).json()
        validate_resource(bundle)
        assert bundle["total"] == 5
        seen += ids(bundle)
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        url = following[0].replace("http://testserver", "") if following else ""
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted(made)


def test_clinical_searches_by_patient_code_and_date(fhir_as):
    chart = make_chart()
    api = fhir_as("coder")
    patient = f"patient=Patient/{chart.patient.pk}"
    assert ids(api.get(f"/fhir/Condition?{patient}&code=http://snomed.info/sct|233604007").json()) == [
        str(chart.condition.pk)]
    assert ids(api.get(f"/fhir/Condition?{patient}&code=999").json()) == []
    assert ids(api.get(f"/fhir/Procedure?{patient}&date=2025-06-02").json()) == [str(chart.procedure.pk)]
    assert ids(api.get(f"/fhir/Procedure?{patient}&date=lt2025-06-01").json()) == []
    assert ids(api.get(f"/fhir/Encounter?{patient}&class=IMP&date=2025-06").json()) == [str(chart.encounter.pk)]
    assert ids(api.get(f"/fhir/Encounter?{patient}&class=AMB").json()) == []
    assert ids(api.get(f"/fhir/DocumentReference?{patient}&type=http://loinc.org|34117-2&category=clinical-note"
                       ).json()) == [str(chart.note.pk)]
    assert ids(api.get(f"/fhir/DocumentReference?{patient}&date=gt2025-07-01").json()) == []


def test_include_patient_and_revinclude_provenance(fhir_as):
    chart = make_chart()
    bundle = fhir_as("coder").get(
        f"/fhir/Condition?patient={chart.patient.pk}&_include=Condition:patient&_revinclude=Provenance:target"
    ).json()
    included = [entry["resource"] for entry in bundle["entry"] if entry["search"]["mode"] == "include"]
    kinds = sorted(resource["resourceType"] for resource in included)
    assert kinds == ["Patient", "Provenance"]
    provenance = next(resource for resource in included if resource["resourceType"] == "Provenance")
    assert provenance["target"][0]["reference"] == f"Condition/{chart.condition.pk}"
    assert provenance["activity"]["coding"][0]["code"] == "CREATE"


def test_clinical_search_without_a_patient_is_refused_naming_the_parameter(fhir_as):
    response = fhir_as("coder").get("/fhir/Condition?code=233604007")
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["patient"]


def test_unknown_or_malformed_parameters_get_400_naming_them(fhir_as):
    api = fhir_as("registrar")
    unknown = api.get("/fhir/Patient?shoe-size=9")
    assert unknown.status_code == 400
    assert unknown.json()["issue"][0]["expression"] == ["shoe-size"]
    bad_date = api.get("/fhir/Patient?birthdate=yesterday")
    assert bad_date.status_code == 400
    assert bad_date.json()["issue"][0]["expression"] == ["birthdate"]
    assert api.get("/fhir/Patient?_count=lots").status_code == 400
