"""Search totals count only what the caller may see (issue 11, item 18): a restricted chart the caller
may not open is in no total, no `_summary=count` and no next link, for every search type."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from chartdesk.interop.registry import all_adapters
from chartdesk.patients.actions import do_break_the_glass, do_grant_chart_access, do_set_restriction
from tests.interop.billing_records import make_claim
from tests.interop.records import make_chart
from tests.support import factories

pytestmark = pytest.mark.django_db


def ids(bundle):
    return [entry["resource"]["id"] for entry in bundle.get("entry", []) if entry["search"]["mode"] == "match"]


def restrict(patient):
    do_set_restriction(patient, restriction="vip", note="board member", acting_user=factories.make_user("him_manager"))


def test_a_restricted_patients_mrn_search_counts_nothing_for_a_user_who_may_not_open_it(fhir_as):
    secret = factories.make_patient("Vera", "Important")
    restrict(secret)
    api = fhir_as("registrar")
    for query in (f"identifier=urn:chartdesk:mrn|{secret.mrn}", f"identifier={secret.mrn}", f"_id={secret.pk}",
                  "family=Important", "birthdate=1980-03-15"):
        bundle = api.get(f"/fhir/Patient?{query}").json()
        assert (bundle["total"], ids(bundle)) == (0, []), query
        assert api.get(f"/fhir/Patient?{query}&_summary=count").json()["total"] == 0, query


def test_a_granted_user_counts_the_restricted_chart_but_desk_emergency_access_does_not_reach_the_api(fhir_as):
    secret = factories.make_patient("Vera", "Important")
    restrict(secret)
    granted = factories.make_user("registrar")
    do_grant_chart_access(secret, granted, reason="Treating team", acting_user=factories.make_user("him_manager"))
    glass = factories.make_user("provider")
    do_break_the_glass(secret, reason="Emergency department", acting_user=glass)
    # Breaking the glass is the person's, at the desk (docs/permissions.md): their API client still
    # finds nothing, and the total does not reveal the chart either.
    hidden = fhir_as(user=glass).get(f"/fhir/Patient?identifier={secret.mrn}").json()
    assert (hidden["total"], ids(hidden)) == (0, [])
    bundle = fhir_as(user=granted).get(f"/fhir/Patient?identifier={secret.mrn}").json()
    assert (bundle["total"], ids(bundle)) == (1, [str(secret.pk)])
    assert fhir_as(user=granted).get(f"/fhir/Patient?identifier={secret.mrn}&_summary=count").json() == {
        "resourceType": "Bundle", "type": "searchset", "total": 1,
        "link": [{"relation": "self",
                  "url": f"http://testserver/fhir/Patient?identifier={secret.mrn}&_summary=count&_offset=0"}]}


def test_pages_are_full_and_the_next_link_ends_where_the_visible_results_end(fhir_as):
    shown = [factories.make_patient(f"Kim{letter}", "Park") for letter in "abc"]
    for letter in "de":
        restrict(factories.make_patient(f"Kim{letter}", "Park"))
    api = fhir_as("registrar")
    url, pages, seen = "/fhir/Patient?family=Park&_count=2", [], []
    while url:
        bundle = api.get(url).json()
        assert bundle["total"] == 3
        pages.append(len(ids(bundle)))
        seen += ids(bundle)
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        url = following[0].replace("http://testserver", "") if following else ""
    assert pages == [2, 1]
    assert sorted(seen) == sorted(str(patient.pk) for patient in shown)


def test_every_search_type_counts_nothing_of_a_restricted_chart(fhir_as):
    chart = make_chart()
    billed = make_claim(chart.patient)
    restrict(chart.patient)
    user = factories.make_user("registrar")
    user.groups.set(Group.objects.all())
    api = fhir_as(user=user)
    searched = []
    for adapter in all_adapters():
        if not adapter.patient_data or adapter.search_params.keys() <= {"_id", "identifier", "name"}:
            continue
        searched.append(adapter.resource_type)
        for summary in ("", "&_summary=count"):
            naming = f"_id={chart.patient.pk}" if adapter.resource_type == "Patient" else \
                f"patient=Patient/{chart.patient.pk}"
            response = api.get(f"/fhir/{adapter.resource_type}?{naming}{summary}")
            # A search naming the chart opens it first: forbidden and missing both answer 404.
            if adapter.needs_patient:
                assert response.status_code == 404, adapter.resource_type
            else:
                assert response.json()["total"] == 0, adapter.resource_type
    assert {"Patient", "Encounter", "DocumentReference", "Condition", "Procedure", "Claim",
            "ExplanationOfBenefit"} <= set(searched)
    claim = api.get(f"/fhir/Claim?identifier={billed.claim.claim_number}").json()
    assert (claim["total"], ids(claim)) == (0, [])
    counted = api.get(f"/fhir/Claim?identifier={billed.claim.claim_number}&_summary=count").json()
    assert counted["total"] == 0


def test_summary_other_than_count_is_refused_naming_the_parameter(fhir_as):
    response = fhir_as("registrar").get("/fhir/Patient?family=Park&_summary=true")
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["_summary"]
