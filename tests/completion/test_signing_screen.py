"""No blind signatures: every way to sign shows what is signed and asks for the attestation first.
A sign request without the confirmation, or for a document changed since the screen was shown,
signs nothing (issue 11, item 5)."""

from __future__ import annotations

from typing import Any

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.actions import do_add_addendum, do_edit_draft, do_sign_document
from chartdesk.charts.models import Addendum, Document, DocumentType
from chartdesk.completion.analysis import analyse_encounter
from chartdesk.completion.models import CoSignature, Deficiency
from tests.completion.conftest import discharge, note

pytestmark = pytest.mark.django_db


@pytest.fixture
def deficiency(stay: Any, users: dict[str, Any], attending: Any) -> Deficiency:
    note(stay, attending, DocumentType.HISTORY_AND_PHYSICAL, title="Admission H&P")
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    return Deficiency.objects.get(rule__code="signature")


def _document(deficiency: Deficiency) -> Document:
    return Document.objects.get(pk=deficiency.document_id)


def _signatures() -> int:
    return AuditEvent.objects.filter(action="sign").count()


def test_a_sign_request_from_the_queue_without_the_attestation_signs_nothing(deficiency, attending, client_for):
    client = client_for(attending)
    url = f"/completion/deficiency/{deficiency.pk}/"

    for blind in ({"action": "sign"}, {"action": "sign", "revision": _document(deficiency).revision}):
        refused = client.post(url, blind)
        assert refused.status_code == 400
        assert "Tick the box to confirm you are signing this document." in refused.content.decode()

    assert not _document(deficiency).current_version.is_signed
    assert Deficiency.objects.get(pk=deficiency.pk).status == "open" and _signatures() == 0


def test_a_document_changed_since_the_screen_was_shown_is_not_signed(deficiency, attending, client_for):
    client = client_for(attending)
    url = f"/completion/deficiency/{deficiency.pk}/"
    shown = _document(deficiency).revision
    client.get(url)
    do_edit_draft(_document(deficiency), text="Text the provider never saw.", acting_user=attending,
                  expected_revision=shown)

    stale = client.post(url, {"action": "sign", "confirm": "on", "revision": shown})

    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    assert "Text the provider never saw." in stale.content.decode()  # the fresh screen shows it
    assert not _document(deficiency).current_version.is_signed and _signatures() == 0


def test_cosigning_from_the_queue_shows_the_note_and_needs_the_attestation(
        stay, users, attending, nurse_practitioner, client_for):
    do_sign_document(note(stay, nurse_practitioner, DocumentType.PROGRESS_NOTE, days_after_admit=1),
                     acting_user=nurse_practitioner)
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    cosign = Deficiency.objects.get(rule__code="cosignature-np-pa")
    client = client_for(attending)
    url = f"/completion/deficiency/{cosign.pk}/"

    page = client.get(url).content.decode()
    assert "Synthetic text." in page and "Co-signed. Electronically signed by Ada Lovelace, MD on" in page
    assert client.post(url, {"action": "sign"}).status_code == 400
    assert not CoSignature.objects.exists()

    done = client.post(url, {"action": "sign", "confirm": "on", "revision": _document(cosign).revision})
    assert done.status_code == 302
    assert CoSignature.objects.get().attestation.startswith("Co-signed. Electronically signed by Ada Lovelace")


def test_an_addendum_is_signed_on_the_signing_screen_only(stay, attending, client_for):
    document = do_sign_document(note(stay, attending, DocumentType.PROGRESS_NOTE), acting_user=attending)
    addendum = do_add_addendum(document, text="Culture grew E. coli.", acting_user=attending, sign=False)
    client = client_for(attending)
    url = f"/charts/addendum/{addendum.pk}/sign/"

    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Culture grew E. coli." in html and "Electronically signed by Ada Lovelace, MD on" in html
    assert client.post(url, {}).status_code == 400
    assert not Addendum.objects.get(pk=addendum.pk).is_signed

    signed = client.post(url, {"confirm": "on", "revision": Document.objects.get(pk=document.pk).revision})
    assert signed.status_code == 302
    assert Addendum.objects.get(pk=addendum.pk).is_signed


def test_correction_and_addendum_forms_show_the_attestation_they_sign_with(stay, attending, client_for):
    document = do_sign_document(note(stay, attending, DocumentType.PROGRESS_NOTE), acting_user=attending)
    client = client_for(attending)
    for page in ("correct", "addendum"):
        html = client.get(f"/charts/document/{document.pk}/{page}/").content.decode()
        assert "Electronically signed by Ada Lovelace, MD on" in html, page
