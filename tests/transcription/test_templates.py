"""Document templates: the shipped defaults, the supervisor's desk pages (per role, refusals included),
and the editor's "insert template" for the dictation's type."""

from __future__ import annotations

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.models import DocumentVersion
from chartdesk.transcription.models import DictationType, DocumentTemplate
from tests.support import factories

pytestmark = pytest.mark.django_db
NOT_MANAGERS = ["registrar", "coder", "billing", "roi", "transcriptionist", "provider", "privacy_officer",
                "administrator", "front_desk"]
NEW = {"document_type": DictationType.OPERATIVE_REPORT, "name": "Laparoscopic cholecystectomy",
       "text": "OPERATIVE REPORT\n\nPROCEDURE: ___\n\nFINDINGS: ___", "active": "on"}


def test_every_dictated_type_ships_with_an_active_template():
    shipped = set(DocumentTemplate.objects.filter(active=True).values_list("document_type", flat=True))
    assert shipped == set(DictationType.values)
    hp = DocumentTemplate.objects.get(document_type=DictationType.HISTORY_AND_PHYSICAL)
    assert hp.text.startswith("HISTORY AND PHYSICAL\n\nCHIEF COMPLAINT: ___")


def test_the_him_manager_adds_and_changes_a_template(client_for):
    him = factories.make_user("him_manager")
    client = client_for(him)
    assert client.get("/transcription/templates/").status_code == 200
    response = client.post("/transcription/templates/", NEW)
    assert response.status_code == 302
    template = DocumentTemplate.objects.get(name="Laparoscopic cholecystectomy")
    assert (template.document_type, template.active, template.updated_by) == (DictationType.OPERATIVE_REPORT, True, him)
    assert AuditEvent.objects.filter(object_type="document_template", object_id=str(template.pk),
                                     action="create").exists()

    changed = client.post(f"/transcription/templates/{template.pk}/", {**NEW, "text": "PROCEDURE: ___", "active": ""})
    assert changed.status_code == 302
    template.refresh_from_db()
    assert (template.text, template.active) == ("PROCEDURE: ___", False)


@pytest.mark.parametrize(("change", "problem"), [
    ({"text": "Give 10 U insulin"}, "do-not-use abbreviation (U, line 1)"),
    ({"text": "   "}, "A template needs its text"),
    ({"name": "history AND physical", "document_type": DictationType.HISTORY_AND_PHYSICAL},
     "already named"),
    ({"document_type": "99999-9"}, "Select a valid choice"),
])
def test_a_bad_template_is_refused_with_the_problem_and_nothing_is_written(client_for, change, problem):
    client = client_for(factories.make_user("him_manager"))
    before = list(DocumentTemplate.objects.values_list("pk", "name", "text"))
    response = client.post("/transcription/templates/", {**NEW, **change})
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert list(DocumentTemplate.objects.values_list("pk", "name", "text")) == before


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_other_roles_may_not_manage_templates(client_for, role):
    client = client_for(factories.make_user(role))
    template = DocumentTemplate.objects.first()
    count = DocumentTemplate.objects.count()
    assert client.get("/transcription/templates/").status_code == 403
    assert client.post("/transcription/templates/", NEW).status_code == 403
    assert client.post(f"/transcription/templates/{template.pk}/", NEW).status_code == 403
    assert DocumentTemplate.objects.count() == count
    assert DocumentTemplate.objects.get(pk=template.pk).text == template.text


def test_the_editor_offers_the_active_templates_of_the_dictations_type_only(dictation, users, client_for):
    DocumentTemplate.objects.create(document_type=DictationType.HISTORY_AND_PHYSICAL, name="Retired H&P",
                                    text="OLD", active=False)
    page = client_for(users["transcriptionist"]).get(f"/transcription/dictation/{dictation.pk}/editor/")
    html = page.content.decode()
    hp = DocumentTemplate.objects.get(name="History and physical")
    assert f'<option value="{hp.pk}">History and physical</option>' in html
    assert "Retired H&amp;P" not in html and "Discharge summary</option>" not in html
    assert "/static/transcription/editor_tools.js" in html


def test_insert_template_without_a_script_puts_it_after_the_draft_unsaved(dictation, users, client_for):
    client = client_for(users["transcriptionist"])
    hp = DocumentTemplate.objects.get(name="History and physical")
    page = client.get(f"/transcription/dictation/{dictation.pk}/editor/?template={hp.pk}")
    assert page.status_code == 200
    assert page.context["form"]["text"].value() == f"Chest pain for two days.\n\n{hp.text}"
    assert DocumentVersion.objects.filter(document=dictation.document).count() == 1  # nothing saved

    discharge = DocumentTemplate.objects.get(document_type=DictationType.DISCHARGE_SUMMARY)
    other = client.get(f"/transcription/dictation/{dictation.pk}/editor/?template={discharge.pk}")
    assert other.context["form"]["text"].value() == "Chest pain for two days."
    assert "is not one of this document type" in other.content.decode()
