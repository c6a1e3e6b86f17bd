"""Hostile JSON in FHIR create/update bodies and import files (issue 11, item 16): nesting deep enough
to exhaust a recursive parser, numbers no element can hold, bodies over the size limit. The API answers
400/413 with an OperationOutcome naming the element and changes nothing; the import reports the
resource and goes on with the rest."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from chartdesk.interop.fhir.validation import MAX_DEPTH
from chartdesk.patients.models import Patient
from tests.interop import bundles
from tests.support import factories

pytestmark = pytest.mark.django_db

TOO_DEEP_TO_PARSE = 100_000


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def patient_json(**extra: str) -> str:
    """A valid Patient resource as JSON text, with raw JSON spliced in for each extra element."""
    text = json.dumps({"resourceType": "Patient", "name": [{"family": "Okafor", "given": ["Ada"]}],
                       "gender": "female", "birthDate": "1970-01-01"})[:-1]
    return text + "".join(f', "{name}": {raw}' for name, raw in extra.items()) + "}"


HOSTILE = [
    ({"extension": nested(TOO_DEEP_TO_PARSE)}, "(body)", "nested too deeply"),
    ({"extension": f'[{{"url": "http://example.org/x", "valueString": "a", "extension": {nested(MAX_DEPTH + 5)}}}]'},
     "Patient.extension[0].extension" + "[0]" * (MAX_DEPTH - 3), f"nested more than {MAX_DEPTH} levels deep"),
    ({"multipleBirthInteger": "9" * 5000}, "Patient.multipleBirthInteger", "a number of 5000 characters"),
    ({"extension": '[{"url": "http://example.org/x", "valueDecimal": 1e999}]'}, "Patient.extension[0].valueDecimal",
     "1e999: not a number"),
    ({"extension": '[{"url": "http://example.org/x", "valueDecimal": NaN}]'}, "Patient.extension[0].valueDecimal",
     "NaN: not a number"),
]


def post_raw(api, path: str, body: str, method: str = "post", **headers: str):
    send = getattr(api.client, method)
    return send(path, data=body, content_type="application/fhir+json", headers={**api.headers, **headers})


@pytest.mark.parametrize(("extra", "expression", "diagnostics"), HOSTILE)
def test_create_with_hostile_json_is_a_400_naming_the_element_and_registers_nobody(fhir_as, extra, expression,
                                                                                     diagnostics):
    api = fhir_as("registrar", scopes=("user/*.read", "user/*.write"))
    response = post_raw(api, "/fhir/Patient", patient_json(**extra))
    assert response.status_code == 400, response.content[:500]
    issue = response.json()["issue"][0]
    assert response.json()["resourceType"] == "OperationOutcome"
    assert issue["expression"] == [expression]
    assert diagnostics in issue["diagnostics"]
    assert not Patient.objects.filter(family_name="Okafor").exists()


@pytest.mark.parametrize(("extra", "expression", "diagnostics"), HOSTILE)
def test_update_with_hostile_json_is_a_400_and_changes_nothing(fhir_as, extra, expression, diagnostics):
    patient = factories.make_patient("Ada", "Okafor")
    api = fhir_as("registrar", scopes=("user/*.read", "user/*.write"))
    body = patient_json(**extra)[:-1] + f', "id": "{patient.pk}"}}'
    response = post_raw(api, f"/fhir/Patient/{patient.pk}", body, method="put",
                        **{"If-Match": f'W/"{patient.revision}"'})
    assert response.status_code == 400, response.content[:500]
    assert diagnostics in response.json()["issue"][0]["diagnostics"]
    before = patient.revision
    patient.refresh_from_db()
    assert patient.revision == before


def test_a_body_over_the_size_limit_is_a_413_operation_outcome(fhir_as, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    api = fhir_as("registrar", scopes=("user/*.read", "user/*.write"))
    response = post_raw(api, "/fhir/Patient", patient_json(text=json.dumps({"div": "x" * 5_000})))
    assert response.status_code == 413
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "too-costly"
    assert "2,000 bytes" in outcome["issue"][0]["diagnostics"]
    assert not Patient.objects.filter(family_name="Okafor").exists()


def test_import_reports_each_hostile_resource_and_imports_the_rest(tmp_path):
    him = factories.make_user("him_manager")
    good = [json.dumps(bundles.patient(f"pat-{n}", family=f"Good{n}", given="Ann")) for n in (1, 2)]
    hostile = [patient_json(**extra)[:-1] + f', "id": "bad-{n}"}}' for n, (extra, _, _) in enumerate(HOSTILE)]
    (tmp_path / "data.ndjson").write_text("\n".join([good[0], *hostile, good[1]]) + "\n")
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "fhir", str(tmp_path), "--by", him.username, stdout=out, stderr=err)
    assert sorted(Patient.objects.values_list("family_name", flat=True)) == ["Good", "Good"]
    report = out.getvalue() + err.getvalue()
    assert "data.ndjson:2: (line): not JSON: nested too deeply" in report
    for line, (_, expression, diagnostics) in enumerate(HOSTILE[1:], start=3):
        assert f"data.ndjson:{line}: Patient/bad-{line - 2}: {expression}: " in report
        assert diagnostics in report


def test_import_of_a_bundle_skips_only_its_hostile_entry(tmp_path):
    him = factories.make_user("him_manager")
    bundle = json.dumps(bundles.collection(bundles.patient("pat-1", family="Kept", given="Ann")))
    entry = '{"resource": ' + patient_json(multipleBirthInteger="9" * 5000)[:-1] + ', "id": "bad"}}'
    bundle = bundle.replace('"entry": [', '"entry": [' + entry + ", ", 1)
    (tmp_path / "bundle.json").write_text(bundle)
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "fhir", str(tmp_path), "--by", him.username, stdout=out, stderr=err)
    assert list(Patient.objects.values_list("family_name", flat=True)) == ["Kept"]
    assert "Patient/bad: Patient.multipleBirthInteger: a number of 5000 characters" in out.getvalue() + err.getvalue()
