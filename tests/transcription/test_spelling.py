"""The editor's spelling check: medical and English words pass, misspellings are listed with suggestions,
and a word added to one's own dictionary passes for that user only."""

from __future__ import annotations

import pytest

from chartdesk.transcription.models import PersonalWord
from tests.support import factories

pytestmark = pytest.mark.django_db
TEXT = ("The patient has hypertenion and tachycardia.\n"
        "Started metoprolol and lisinoprill; dyspnea improved after furosemide. CHF is better.")
NOT_TRANSCRIBING = ["registrar", "coder", "billing", "roi", "provider", "him_manager", "privacy_officer",
                    "administrator", "front_desk"]


def _check(client, text):
    return client.post("/transcription/spelling/", {"text": text})


def test_medical_and_english_words_pass_and_misspellings_come_with_suggestions(users, client_for):
    response = _check(client_for(users["transcriptionist"]), TEXT)
    assert response.status_code == 200
    found = {entry["word"]: entry for entry in response.json()["misspellings"]}
    assert sorted(found) == ["hypertenion", "lisinoprill"]  # tachycardia, metoprolol, dyspnea, furosemide pass
    assert found["hypertenion"]["line"] == 1 and found["hypertenion"]["suggestions"][0] == "hypertension"
    assert found["lisinoprill"]["line"] == 2 and found["lisinoprill"]["suggestions"][0] == "lisinopril"


def test_code_set_titles_and_drug_names_are_in_the_medical_list(users, client_for):
    words = "cholecystectomy choledocholithiasis pneumothorax atorvastatin apixaban enoxaparin hemiparesis"
    assert _check(client_for(users["transcriptionist"]), words).json() == {"misspellings": []}


def test_a_word_added_to_my_dictionary_passes_for_me_only(users, client_for):
    mine = client_for(users["transcriptionist"])
    added = mine.post("/transcription/dictionary/", {"word": "Lisinoprill"}, HTTP_ACCEPT="application/json")
    assert added.json() == {"added": "lisinoprill"}
    assert [entry["word"] for entry in _check(mine, TEXT).json()["misspellings"]] == ["hypertenion"]
    other = client_for(factories.make_user("transcriptionist"))
    assert len(_check(other, TEXT).json()["misspellings"]) == 2


def test_a_phrase_is_refused_for_the_dictionary_and_nothing_is_stored(users, client_for):
    client = client_for(users["transcriptionist"])
    refused = client.post("/transcription/dictionary/", {"word": "two words"}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 400
    assert "Only a single word" in refused.json()["error"]
    assert not PersonalWord.objects.exists()


def test_the_editor_lists_unknown_words_with_an_add_to_dictionary_form(dictation, users, client_for):
    client = client_for(users["transcriptionist"])
    document = dictation.document
    client.post(f"/transcription/dictation/{dictation.pk}/editor/", {"text": TEXT, "revision": document.revision})
    page = client.get(f"/transcription/dictation/{dictation.pk}/editor/")
    html = page.content.decode()
    assert "<strong>hypertenion</strong> (line 1): perhaps hypertension" in html
    assert '<input type="hidden" name="word" value="lisinoprill">' in html
    back = client.post("/transcription/dictionary/", {"word": "hypertenion", "dictation": dictation.pk})
    assert back.status_code == 302 and back["Location"] == f"/transcription/dictation/{dictation.pk}/editor/"
    assert "<strong>hypertenion</strong>" not in client.get(back["Location"]).content.decode()


@pytest.mark.parametrize("role", NOT_TRANSCRIBING)
def test_only_transcriptionists_check_spelling_and_keep_a_dictionary(client_for, role):
    client = client_for(factories.make_user(role))
    assert _check(client, TEXT).status_code == 403
    assert client.post("/transcription/dictionary/", {"word": "zzz"}).status_code == 403
    assert not PersonalWord.objects.exists()
