"""Control characters in names through the FHIR API, the FHIR import and HL7 v2 intake: the patients
layer's rule (tests/patients/test_name_control_characters.py) answered in each protocol's terms, the
FHIR element or the HL7 error ACK, with nothing saved (issue 11, item 17)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from chartdesk.interop.hl7v2.intake import receive_message
from chartdesk.interop.system_user import interface_user
from chartdesk.patients.models import Patient
from tests.interop import bundles
from tests.interop.hl7_messages import adt
from tests.support import factories

pytestmark = pytest.mark.django_db


def fhir_patient(**name: object) -> dict:
    return {"resourceType": "Patient", "gender": "female", "birthDate": "1970-01-01",
            "name": [{"use": "nickname", "family": "Nick", "given": ["Ada"]},
                     {"use": "official", "family": "Okafor", "given": ["Ada", "Grace"], **name}]}


@pytest.mark.parametrize(("name", "element", "label"), [
    ({"family": "Oka\u0000for"}, "Patient.name[1].family", "Family name"),
    ({"given": ["Ada", "Gr\u001bace"]}, "Patient.name[1].given", "Middle name"),
    ({"given": ["A\u202eda"]}, "Patient.name[1].given[0]", "Given name"),
    ({"prefix": ["Dr\u0001"]}, "Patient.name[1].prefix", "Prefix"),
])
def test_the_fhir_api_answers_400_naming_the_element(fhir_as, name, element, label):
    api = fhir_as("registrar", scopes=("user/*.read", "user/*.write"))
    response = api.post("/fhir/Patient", fhir_patient(**name))
    assert response.status_code == 400, response.content
    issue = response.json()["issue"][0]
    assert (issue["expression"], issue["diagnostics"].split(":")[0]) == ([element], label)
    assert "control character" in issue["diagnostics"]
    assert not Patient.objects.exists()


def test_the_fhir_api_refuses_an_update_with_a_control_character_and_changes_nothing(fhir_as):
    patient = factories.make_patient("Ada", "Okafor")
    api = fhir_as("registrar", scopes=("user/*.read", "user/*.write"))
    resource = api.get(f"/fhir/Patient/{patient.pk}").json()
    resource["name"][0]["family"] = "Oka\u0000for"
    response = api.put(f"/fhir/Patient/{patient.pk}", resource, **{"If-Match": f'W/"{patient.revision}"'})
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["Patient.name[0].family"]
    patient.refresh_from_db()
    assert (patient.family_name, patient.revision) == ("Okafor", 1)


def test_the_fhir_import_reports_the_patient_and_goes_on(tmp_path):
    him = factories.make_user("him_manager")
    bad = bundles.patient("pat-bad", family="Oka\u0000for", given="Ada")
    good = bundles.patient("pat-good", family="Kept", given="Ann")
    (tmp_path / "data.ndjson").write_text(json.dumps(bad) + "\n" + json.dumps(good) + "\n")
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "fhir", str(tmp_path), "--by", him.username, stdout=out, stderr=err)
    assert list(Patient.objects.values_list("family_name", flat=True)) == ["Kept"]
    assert ("data.ndjson:1: Patient/pat-bad: Patient.name[0].family: Family name: control character U+0000 at "
            "position 4 is not allowed in a name.") in err.getvalue()


@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x7f"])
def test_hl7_intake_refuses_a_control_character_in_the_name_with_an_error_ack(char):
    outcome = receive_message(adt("A04", "M1", family=f"Naka{char}mura").encode(), acting_user=interface_user())
    assert outcome.code == "AE"
    # The HL7 layer refuses it before the patients rule is reached: the ERR segment names the field.
    assert f"ERR||PID^1^5|102^PID-5 holds the control character U+{ord(char):04X}" in outcome.ack
    assert not Patient.objects.exists()
