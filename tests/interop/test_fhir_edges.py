"""Edges of the FHIR API's parsers (issue 11, item 16): dates at both ends of the calendar with every
prefix and time zone offset, overlong numbers in search controls, version ids and If-Match."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from chartdesk.clinical.models import Condition
from chartdesk.interop.registry import all_adapters
from tests.interop.billing_records import make_claim
from tests.interop.records import make_chart
from tests.support import factories

pytestmark = pytest.mark.django_db

EDGE_DATES = ["9999-12-31", "9999-12", "9999", "0001", "0001-01", "0001-01-01", "0001-01-01T00:00:00+14:00",
              "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"]
PREFIXES = ["", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]


def ids(bundle):
    return sorted(entry["resource"]["id"] for entry in bundle.get("entry", []) if entry["search"]["mode"] == "match")


@pytest.fixture
def everyone(fhir_as):
    """A client whose user holds every role: every resource type's searches are open to it."""
    user = factories.make_user("registrar")
    user.groups.set(Group.objects.all())
    return fhir_as(user=user)


def test_every_date_search_parameter_answers_edge_dates_with_every_prefix_without_a_server_error(everyone):
    chart = make_chart()
    make_claim(chart.patient)
    date_searches = [(adapter, name) for adapter in all_adapters()
                     for name, kind in adapter.search_params.items() if kind == "date"]
    assert len(date_searches) >= 10
    for adapter, name in date_searches:
        scope = f"patient=Patient/{chart.patient.pk}&" if adapter.needs_patient else ""
        for value in EDGE_DATES:
            for prefix in PREFIXES:
                response = everyone.get(f"/fhir/{adapter.resource_type}?{scope}{name}={prefix}{value}".replace(
                    "+", "%2B"))
                expected = 400 if prefix in ("ne", "sa", "eb", "ap") else 200
                assert response.status_code == expected, (adapter.resource_type, name, prefix, value,
                                                          response.content[:300])
                if expected == 400:
                    assert response.json()["issue"][0]["expression"] == [name]


@pytest.mark.parametrize(("query", "found"), [
    ("date=ge0001-01-01T00:00:00%2B14:00", True), ("date=le9999-12-31T23:59:59-12:00", True),
    ("date=gt9999-12-31T23:59:59-12:00", False), ("date=lt0001-01-01T00:00:00%2B14:00", False),
    ("date=9999-12-31", False), ("date=lt9999", True), ("date=gt0001", True), ("date=2025-06-02", True),
    ("date=2025-06-02T09:30:00", True), ("date=le2025-06-02T09:29:59", False),
    ("date=ge0001-01-01T00:00:00 14:00", True),  # an unencoded "+" arrives as a space
])
def test_edge_dates_find_what_lies_between_them(fhir_as, query, found):
    chart = make_chart()  # admitted 2025-06-02 09:30 local time
    response = fhir_as("coder").get(f"/fhir/Encounter?patient={chart.patient.pk}&{query}")
    assert response.status_code == 200, response.content
    assert ids(response.json()) == ([str(chart.encounter.pk)] if found else [])


@pytest.mark.parametrize(("query", "found"), [
    ("birthdate=ge0001-01-01", True), ("birthdate=le9999-12-31", True), ("birthdate=9999", False),
    ("birthdate=gt9999-12-31T23:59:59-12:00", False), ("birthdate=lt0001-01-01T00:00:00%2B14:00", False),
])
def test_birthdate_edges(fhir_as, query, found):
    patient = factories.make_patient("Edge", "Dates")
    response = fhir_as("registrar").get(f"/fhir/Patient?family=Dates&{query}")
    assert response.status_code == 200, response.content
    assert ids(response.json()) == ([str(patient.pk)] if found else [])


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00%2B14:00", "9999-12-31T23:59:59-12:00"])
def test_export_since_at_the_edges_of_the_calendar_is_accepted(fhir_as, since):
    api = fhir_as("him_manager", scopes=("system/*.read",))
    response = api.get(f"/fhir/$export?_since={since}", Prefer="respond-async")
    assert response.status_code == 202, response.content


def test_overlong_numbers_in_count_offset_version_and_if_match_answer_without_a_server_error(fhir_as):
    factories.make_patient("Long", "Numbers")
    api = fhir_as("registrar", scopes=("user/*.read", "user/*.write"))
    huge = "9" * 5000
    response = api.get(f"/fhir/Patient?family=Numbers&_count={huge}")
    assert response.status_code == 200
    assert len(response.json()["entry"]) == 1
    assert api.get(f"/fhir/Patient?family=Numbers&_offset={huge}").json().get("entry", []) == []
    patient_id = factories.make_patient("Other", "Numbers").pk
    assert api.get(f"/fhir/Patient/{patient_id}/_history/{huge}").status_code == 404
    resource = api.get(f"/fhir/Patient/{patient_id}").json()
    stale = api.put(f"/fhir/Patient/{patient_id}", resource, **{"If-Match": f'W/"{huge}"'})
    assert stale.status_code == 412
    assert api.get(f"/fhir/$export-status/{huge}").status_code == 404


@pytest.mark.parametrize("patient", ["9" * 25, "9" * 5000, "Patient/" + "9" * 25])
def test_an_overlong_patient_reference_finds_nothing(everyone, patient):
    chart = make_chart()
    assert everyone.get(f"/fhir/AuditEvent?patient={patient}").json()["total"] == 0
    assert everyone.get(f"/fhir/Condition?patient={patient}").status_code == 404
    target = everyone.get(f"/fhir/Provenance?patient={chart.patient.pk}&target=Condition/{'9' * 25}")
    assert target.json()["total"] == 0


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_moments_no_timestamp_holds_are_a_400_naming_the_element_on_create(fhir_as, moment):
    chart = make_chart()
    condition = {"resourceType": "Condition", "subject": {"reference": f"Patient/{chart.patient.pk}"},
                 "code": {"coding": [{"system": "http://snomed.info/sct", "code": "233604007"}]},
                 "onsetDateTime": moment}
    response = fhir_as("provider", scopes=("user/*.read", "user/*.write")).post("/fhir/Condition", condition)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["Condition.onsetDateTime"]
    assert Condition.objects.filter(patient=chart.patient).count() == 1
    patient = {"resourceType": "Patient", "name": [{"family": "Edge", "given": ["Ada"]}], "birthDate": "1950-01-01",
               "deceasedDateTime": moment}
    response = fhir_as("registrar", scopes=("user/*.read", "user/*.write")).post("/fhir/Patient", patient)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["Patient.deceasedDateTime"]
    assert "outside the years 1 to 9999" in response.json()["issue"][0]["diagnostics"]


def test_the_import_reports_an_encounter_no_timestamp_holds_and_goes_on(tmp_path):
    from chartdesk.charts.models import Encounter
    from chartdesk.interop.fhir.importer import FhirImporter
    from tests.interop import bundles

    edge = bundles.encounter("enc-edge")
    edge["period"] = {"start": "0001-01-01T00:00:00+14:00", "end": "0001-01-02T00:00:00+14:00"}
    path = bundles.write_ndjson(tmp_path, [bundles.patient(), edge, bundles.encounter("enc-ok")])
    report = FhirImporter(requested_by=factories.make_user("him_manager")).run(path)
    assert Encounter.objects.count() == 1
    assert [(problem.line, problem.resource, problem.path) for problem in report.problems] == [
        (2, "Encounter/enc-edge", "Encounter.period.start")]
