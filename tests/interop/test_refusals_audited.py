"""Every refused API request is on the record as a refusal: no token, a bad token, a scope that does not
cover the request, a record outside the token's patient, a refused token request."""

from __future__ import annotations

import pytest
from django.test import Client

from chartdesk.audit.models import AuditEvent
from chartdesk.interop.tokens import do_register_api_client
from tests.interop.conftest import FhirClient
from tests.interop.records import make_chart
from tests.support import factories

pytestmark = pytest.mark.django_db


def _last() -> AuditEvent:
    return AuditEvent.objects.order_by("sequence").last()


@pytest.mark.parametrize(("token", "why"), [("", "no bearer token"),
                                           ("not-a-token", "unknown, expired or revoked bearer token")])
def test_a_request_without_a_valid_token_is_refused_and_recorded(token, why):
    chart = make_chart()
    response = FhirClient(token).get(f"/fhir/Patient/{chart.patient.pk}")

    assert response.status_code == 401
    refused = _last()
    assert (refused.action, refused.outcome, refused.channel) == ("access_denied", "denied", "api")
    assert (refused.username, refused.client_address) == ("api:(no valid token)", "127.0.0.1")
    assert refused.detail["why"] == why and refused.detail["path"] == f"/fhir/Patient/{chart.patient.pk}"


def test_a_read_the_tokens_scopes_do_not_cover_is_recorded_as_refused(fhir_as, users):
    chart = make_chart()
    provider = users["provider"]
    api = fhir_as(user=provider, scopes=("user/Condition.read",))
    before = AuditEvent.objects.count()

    assert api.get(f"/fhir/Procedure/{chart.procedure.pk}").status_code == 403

    new = list(AuditEvent.objects.order_by("sequence")[before:])
    assert [(event.action, event.outcome) for event in new] == [("access_denied", "denied")]
    assert new[0].user_id == provider.pk and new[0].detail["scopes"] == "user/Condition.read"
    assert "do not allow reads of Procedure" in new[0].detail["why"]


def test_a_write_the_tokens_scopes_do_not_cover_is_recorded_as_refused(fhir_as):
    chart = make_chart()
    api = fhir_as("provider", scopes=("user/*.read",))
    response = api.post("/fhir/Condition", {"resourceType": "Condition",
                                            "subject": {"reference": f"Patient/{chart.patient.pk}"}})
    assert response.status_code == 403
    refused = _last()
    assert (refused.action, refused.outcome, refused.object_type) == ("access_denied", "denied", "api_request")
    assert refused.detail["method"] == "POST"


def test_a_record_outside_the_tokens_patient_is_recorded_as_refused_not_as_a_view(fhir_as):
    mine, other = make_chart("Ana", "Lopez"), make_chart("Bea", "Novak")
    api = fhir_as("interface", scopes=("patient/*.read",), patient=mine.patient)
    before = AuditEvent.objects.count()

    for path in (f"/fhir/Condition/{other.condition.pk}", f"/fhir/Patient/{other.patient.pk}"):
        assert api.get(path).status_code == 404, path

    new = list(AuditEvent.objects.order_by("sequence")[before:])
    assert [(event.action, event.outcome, event.patient_id) for event in new] == [
        ("access_denied", "denied", other.patient.pk), ("access_denied", "denied", other.patient.pk)]
    assert {event.detail["why"] for event in new} == {"outside the token's patient scope"}
    # The token's own patient still reads, and that is recorded as a view.
    assert api.get(f"/fhir/Condition/{mine.condition.pk}").status_code == 200
    assert _last().action == "view" and _last().patient_id == mine.patient.pk


def test_a_refused_token_request_is_recorded(admin):
    client, _secret = do_register_api_client("App", user=factories.make_user("provider"), scopes=["user/*.read"],
                                             acting_user=admin)
    wrong = Client().post("/fhir/auth/token", {"grant_type": "client_credentials", "client_id": client.client_id,
                                                "client_secret": "wrong"})
    assert wrong.status_code == 401
    refused = _last()
    assert (refused.action, refused.outcome, refused.username) == ("login_failed", "failure",
                                                                   f"api:{client.client_id}")
    assert refused.detail["error"] == "invalid_client"
