"""vread and _history answer with the content each version really had, kept when its change
committed; access checks and audit are those of a read; versions from before keeping began answer 410."""

from __future__ import annotations

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.clinical.actions import do_change_condition_status
from chartdesk.interop.fhir.validation import validate_resource
from chartdesk.interop.models import ResourceVersion
from chartdesk.patients.actions import do_set_restriction
from chartdesk.patients.merge_actions import do_merge_patients
from tests.interop.records import make_chart
from tests.support import factories

pytestmark = pytest.mark.django_db

WRITE = ("user/*.read", "user/*.write")


def _rename(api, patient_id: int, family: str, version: int) -> None:
    resource = api.get(f"/fhir/Patient/{patient_id}").json()
    official = next(name for name in resource["name"] if name["use"] == "official")
    official["family"] = family
    response = api.put(f"/fhir/Patient/{patient_id}", resource, **{"If-Match": f'W/"{version}"'})
    assert response.status_code == 200, response.content


@pytest.fixture
def renamed_twice(fhir_as, django_capture_on_commit_callbacks):
    """A chart made and then renamed twice through the API, every change committed (versions kept)."""
    with django_capture_on_commit_callbacks(execute=True):
        chart = make_chart()
    api = fhir_as("registrar", scopes=WRITE)
    for version, family in ((1, "Garcia-Lopez"), (2, "Lopez")):
        with django_capture_on_commit_callbacks(execute=True):
            _rename(api, chart.patient.pk, family, version)
    return chart


def test_vread_returns_the_content_each_version_had(fhir_as, renamed_twice):
    api = fhir_as("registrar")
    families = {}
    for version in (1, 2, 3):
        response = api.get(f"/fhir/Patient/{renamed_twice.patient.pk}/_history/{version}")
        assert response.status_code == 200, response.content
        assert response["ETag"] == f'W/"{version}"'
        body = response.json()
        validate_resource(body)
        assert body["meta"]["versionId"] == str(version)
        assert body["meta"]["lastUpdated"]
        families[version] = next(name["family"] for name in body["name"] if name["use"] == "official")
    assert families == {1: "Garcia", 2: "Garcia-Lopez", 3: "Lopez"}


def test_history_lists_the_kept_versions_newest_first(fhir_as, renamed_twice):
    bundle = fhir_as("registrar").get(f"/fhir/Patient/{renamed_twice.patient.pk}/_history").json()
    validate_resource(bundle)
    assert bundle["type"] == "history"
    assert [entry["resource"]["meta"]["versionId"] for entry in bundle["entry"]] == ["3", "2", "1"]
    assert [entry["request"]["method"] for entry in bundle["entry"]] == ["PUT", "PUT", "POST"]
    assert [entry["response"]["etag"] for entry in bundle["entry"]] == ['W/"3"', 'W/"2"', 'W/"1"']
    official = [next(name["family"] for name in entry["resource"]["name"] if name["use"] == "official")
                for entry in bundle["entry"]]
    assert official == ["Lopez", "Garcia-Lopez", "Garcia"]


def test_a_version_kept_once_is_not_stored_again_when_nothing_changed(renamed_twice,
                                                                      django_capture_on_commit_callbacks):
    from chartdesk.interop.fhir.versions import keep_versions

    before = ResourceVersion.objects.filter(resource_type="Patient").count()
    with django_capture_on_commit_callbacks(execute=True):
        assert keep_versions([("Patient", renamed_twice.patient.pk)]) == 0
    assert ResourceVersion.objects.filter(resource_type="Patient").count() == before == 3


def test_a_version_from_before_version_keeping_answers_410_not_other_content(fhir_as,
                                                                             django_capture_on_commit_callbacks):
    chart = make_chart()  # committed nowhere: as if made before version keeping began
    api = fhir_as("registrar", scopes=WRITE)
    with django_capture_on_commit_callbacks(execute=True):
        _rename(api, chart.patient.pk, "Garcia-Lopez", 1)
    old = api.get(f"/fhir/Patient/{chart.patient.pk}/_history/1")
    assert old.status_code == 410
    assert "predates version keeping" in old.json()["issue"][0]["diagnostics"]
    assert b"Garcia-Lopez" not in old.content
    assert api.get(f"/fhir/Patient/{chart.patient.pk}/_history/2").status_code == 200
    for missing in ("3", "0", "x"):
        assert api.get(f"/fhir/Patient/{chart.patient.pk}/_history/{missing}").status_code == 404
    history = api.get(f"/fhir/Patient/{chart.patient.pk}/_history").json()
    assert [entry["resource"]["meta"]["versionId"] for entry in history["entry"]] == ["2"]


def test_condition_versions_follow_its_revision(fhir_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        chart = make_chart()
    provider = factories.make_user("provider")
    with django_capture_on_commit_callbacks(execute=True):
        do_change_condition_status(chart.condition, clinical_status="resolved", verification_status="confirmed",
                                   abatement_at=None, expected_revision=1, acting_user=provider)
    api = fhir_as("coder")
    first = api.get(f"/fhir/Condition/{chart.condition.pk}/_history/1").json()
    second = api.get(f"/fhir/Condition/{chart.condition.pk}/_history/2").json()
    assert first["clinicalStatus"]["coding"][0]["code"] == "active"
    assert second["clinicalStatus"]["coding"][0]["code"] == "resolved"


def test_vread_is_audited_like_a_read(fhir_as, renamed_twice):
    user = factories.make_user("registrar")
    fhir_as(user=user).get(f"/fhir/Patient/{renamed_twice.patient.pk}/_history/1")
    event = AuditEvent.objects.filter(user=user, action="view", object_type="patient").last()
    assert event is not None
    assert (event.patient_id, event.channel) == (renamed_twice.patient.pk, "api")


def test_restricted_chart_keeps_its_versions_closed(fhir_as, renamed_twice):
    do_set_restriction(renamed_twice.patient, restriction="vip", note="board",
                       acting_user=factories.make_user("him_manager"))
    api = fhir_as("registrar")
    for path in ("_history/1", "_history/2", "_history"):
        response = api.get(f"/fhir/Patient/{renamed_twice.patient.pk}/{path}")
        assert response.status_code == 404, path
        assert b"Garcia" not in response.content


def test_versions_are_closed_to_roles_and_tokens_that_cannot_read_the_resource(fhir_as, renamed_twice,
                                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        other = make_chart("Bea", "Novak")
    note = renamed_twice.note.pk
    assert fhir_as("billing").get(f"/fhir/DocumentReference/{note}/_history/1").status_code == 404
    scoped = fhir_as("registrar", scopes=("patient/*.read",), patient=other.patient)
    assert scoped.get(f"/fhir/Patient/{renamed_twice.patient.pk}/_history/1").status_code == 404
    assert scoped.get(f"/fhir/Patient/{renamed_twice.patient.pk}/_history").status_code == 404
    assert scoped.get(f"/fhir/Patient/{other.patient.pk}/_history/1").status_code == 200


def test_a_version_filed_before_a_merge_stays_with_the_merged_persons_token(fhir_as,
                                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        survivor = make_chart("Ana", "Lopez")
        duplicate = make_chart("Ana", "Lopes")
        stranger = make_chart("Bea", "Novak")
    provider = factories.make_user("provider")
    with django_capture_on_commit_callbacks(execute=True):
        do_change_condition_status(duplicate.condition, clinical_status="resolved", verification_status="confirmed",
                                   abatement_at=None, expected_revision=1, acting_user=provider)
    with django_capture_on_commit_callbacks(execute=True):
        do_merge_patients(survivor.patient, duplicate.patient, reason="Same person",
                          acting_user=factories.make_user("him_manager"))
    path = f"/fhir/Condition/{duplicate.condition.pk}"
    mine = fhir_as("registrar", scopes=("patient/*.read",), patient=survivor.patient)
    current = mine.get(f"{path}/_history/2").json()
    assert current["subject"]["reference"] == f"Patient/{survivor.patient.pk}"
    before_merge = mine.get(f"{path}/_history/1")
    assert before_merge.status_code == 200
    assert before_merge.json()["subject"]["reference"] == f"Patient/{duplicate.patient.pk}"
    other = fhir_as("registrar", scopes=("patient/*.read",), patient=stranger.patient)
    assert other.get(f"{path}/_history/1").status_code == 404
    retired = fhir_as("registrar", scopes=("patient/*.read",), patient=duplicate.patient)
    assert retired.get(f"{path}/_history/1").status_code == 404


def test_document_versions_point_at_the_binary_of_their_own_text(fhir_as, django_capture_on_commit_callbacks):
    from chartdesk.charts.actions import do_edit_draft

    with django_capture_on_commit_callbacks(execute=True):
        chart = make_chart()
    first_binary = chart.note.current_version_id
    with django_capture_on_commit_callbacks(execute=True):
        edited = do_edit_draft(chart.note, text="Fever, cough and chills for three days.",
                               acting_user=chart.note.author.user, expected_revision=1)
    assert edited.current_version_id != first_binary
    api = fhir_as("provider")
    urls = [api.get(f"/fhir/DocumentReference/{chart.note.pk}/_history/{version}").json()["content"][0]["attachment"]
            ["url"] for version in (1, 2)]
    assert urls == [f"Binary/{first_binary}", f"Binary/{edited.current_version_id}"]


def test_encounter_versions_count_its_changes(fhir_as, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from chartdesk.charts.actions import do_discharge_encounter

    with django_capture_on_commit_callbacks(execute=True):
        chart = make_chart()
    with django_capture_on_commit_callbacks(execute=True):
        do_discharge_encounter(chart.encounter, discharge_at=chart.encounter.admit_at + timedelta(days=3),
                               disposition="01", acting_user=factories.make_user("registrar"))
    api = fhir_as("provider")
    admitted = api.get(f"/fhir/Encounter/{chart.encounter.pk}/_history/1").json()
    discharged = api.get(f"/fhir/Encounter/{chart.encounter.pk}/_history/2").json()
    assert "end" not in admitted["period"]
    assert discharged["period"]["end"]
    assert discharged["hospitalization"]["dischargeDisposition"]["coding"][0]["code"] == "01"


def test_claim_versions_keep_what_sending_and_payment_changed(fhir_as, django_capture_on_commit_callbacks):
    from tests.interop.billing_records import make_claim, pay_claim, send_claim

    chart = make_chart()
    with django_capture_on_commit_callbacks(execute=True):
        billed = make_claim(chart.patient, paid=False)
    with django_capture_on_commit_callbacks(execute=True):
        send_claim(billed)
    with django_capture_on_commit_callbacks(execute=True):
        pay_claim(billed)
    api = fhir_as(user=billed.billing_user)
    assert api.get(f"/fhir/Claim/{billed.claim.pk}").json()["meta"]["versionId"] == "3"
    # Created and scrubbed in one transaction: version 1 never reached a commit, so it was never kept.
    assert api.get(f"/fhir/Claim/{billed.claim.pk}/_history/1").status_code == 410
    tags = {version: api.get(f"/fhir/Claim/{billed.claim.pk}/_history/{version}").json()["meta"]["tag"][0]["code"]
            for version in (2, 3)}
    # Version 2 was marked submitted by the 837 batch (an UPDATE that records no claim event); 3 is paid.
    assert tags == {2: "submitted", 3: "paid"}
    eob = api.get(f"/fhir/ExplanationOfBenefit/{billed.payment.pk}/_history/1").json()
    assert eob["payment"]["amount"]["value"] == 90.0
    assert fhir_as("provider").get(f"/fhir/Claim/{billed.claim.pk}/_history/1").status_code == 404


def test_a_rolled_back_change_keeps_no_version(fhir_as, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        chart = make_chart()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            do_change_condition_status(chart.condition, clinical_status="resolved", verification_status="confirmed",
                                       abatement_at=None, expected_revision=1,
                                       acting_user=factories.make_user("provider"))
            raise RuntimeError("the request failed after the change")
    versions = ResourceVersion.objects.filter(resource_type="Condition", logical_id=str(chart.condition.pk))
    assert list(versions.values_list("version_id", flat=True)) == [1]
    assert fhir_as("coder").get(f"/fhir/Condition/{chart.condition.pk}/_history/2").status_code == 404


@pytest.mark.parametrize("app", ["patients", "charts", "clinical", "billing"])
def test_the_domain_apps_whose_changes_are_versioned_never_import_interop(app):
    from pathlib import Path

    import chartdesk

    folder = Path(chartdesk.__file__).parent / app
    importing = [str(path.relative_to(folder)) for path in sorted(folder.rglob("*.py"))
                 if "chartdesk.interop" in path.read_text(encoding="utf-8")]
    assert importing == []
