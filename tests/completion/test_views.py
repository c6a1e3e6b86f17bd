"""The desk pages of chart completion: the provider's one-click actions and HIM's review."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from chartdesk.charts.models import DocumentType
from chartdesk.completion.analysis import analyse_encounter
from chartdesk.completion.models import Deficiency
from tests.completion.conftest import discharge, note


@pytest.fixture
def deficiency(stay: Any, users: dict[str, Any], attending: Any) -> Deficiency:
    note(stay, attending, DocumentType.HISTORY_AND_PHYSICAL, title="Admission H&P")
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    return Deficiency.objects.get(rule__code="signature")


def test_the_provider_signs_from_the_queue_on_the_signing_screen(deficiency, attending, client_for):
    client = client_for(attending)
    queue = client.get("/completion/queue/")
    assert b"History and physical not signed" in queue.content
    page = client.get(f"/completion/deficiency/{deficiency.pk}/")
    html = page.content.decode()
    # The document itself, the attestation it will carry, and the confirmation, before any button.
    assert "Synthetic text." in html and "Electronically signed by Ada Lovelace, MD on" in html
    assert "I have reviewed this document and sign it electronically." in html and "Sign</button>" in html
    revision = deficiency.document.__class__.objects.get(pk=deficiency.document_id).revision
    response = client.post(f"/completion/deficiency/{deficiency.pk}/",
                           {"action": "sign", "confirm": "on", "revision": revision,
                            "attestation": "Reviewed with the resident."})
    assert response.status_code == 302
    assert Deficiency.objects.get(pk=deficiency.pk).status == "completed"
    version = deficiency.document.__class__.objects.get(pk=deficiency.document_id).current_version
    assert version.attestation.endswith("\nReviewed with the resident.")


def test_a_dispute_without_reason_is_refused_with_the_field_named(deficiency, attending, client_for):
    response = client_for(attending).post(f"/completion/deficiency/{deficiency.pk}/", {"action": "dispute"})
    assert response.status_code == 400
    assert b"This field is required" in response.content
    assert Deficiency.objects.get(pk=deficiency.pk).status == "open"


def test_another_provider_gets_not_found(deficiency, surgeon, client_for):
    response = client_for(surgeon).post(f"/completion/deficiency/{deficiency.pk}/", {"action": "sign"})
    assert response.status_code == 404
    assert Deficiency.objects.get(pk=deficiency.pk).status == "open"


def test_him_marks_not_applicable_from_the_review_page(deficiency, users, client_for):
    client = client_for(users["him_manager"])
    assert b"History and physical not signed" in client.get("/completion/review/").content
    response = client.post(f"/completion/review/{deficiency.pk}/",
                           {"action": "not_applicable", "reason": "Duplicate of the scanned H&P"})
    assert response.status_code == 302
    assert Deficiency.objects.get(pk=deficiency.pk).status == "not_applicable"
    assert client.get("/completion/delinquency/").status_code == 200


@pytest.mark.parametrize("role", ["registrar", "coder", "provider"])
def test_other_roles_cannot_open_him_review(role, users, client_for):
    assert client_for(users[role]).get("/completion/review/").status_code == 403


def test_the_nightly_command_analyses_finished_encounters(stay, users, capsys):
    discharge(stay, users["registrar"])
    call_command("completion", "nightly")
    assert "2 deficiencies opened" in capsys.readouterr().out


def test_him_adds_a_rule_and_switches_one_off(users, client_for):
    from chartdesk.completion.models import DeficiencyRule

    client = client_for(users["him_manager"])
    response = client.post("/completion/rules/", {
        "code": "obs-progress", "name": "Observation progress note", "kind": "required_document",
        "encounter_class": "observation", "document_type": "11506-3", "anchor": "admission",
        "hours_before": "0", "hours_after": "24", "cosign_credentials": "", "active": "on"})
    assert response.status_code == 302
    assert DeficiencyRule.objects.get(code="obs-progress").hours_after == 24
    missing_type = client.post("/completion/rules/", {
        "code": "bad", "name": "Bad", "kind": "required_document", "anchor": "admission", "hours_before": "0",
        "hours_after": "1"})
    assert b"names the document type" in missing_type.content
    hp = DeficiencyRule.objects.get(code="inpatient-hp")
    data = {"name": hp.name, "kind": hp.kind, "encounter_class": hp.encounter_class, "document_type": hp.document_type,
            "anchor": hp.anchor, "hours_before": hp.hours_before, "hours_after": hp.hours_after}
    assert client.post(f"/completion/rules/{hp.pk}/", data).status_code == 302
    assert DeficiencyRule.objects.get(pk=hp.pk).active is False
    assert client_for(users["provider"]).get("/completion/rules/").status_code == 403
