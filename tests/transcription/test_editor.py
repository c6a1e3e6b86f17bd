"""The transcriptionist's editor: the words with their times, do-not-use flags before saving, personal
abbreviations, the recording served with HTTP Range, line counts and turnaround, and the role's home."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.models import DocumentVersion
from chartdesk.transcription import editor
from chartdesk.transcription.models import Dictation, DictationStatus, PersonalAbbreviation
from tests.support import factories

OUTSIDE_TRANSCRIPTION = ["registrar", "coder", "billing", "roi", "provider", "privacy_officer", "administrator"]


def _editor(dictation: Dictation) -> str:
    return f"/transcription/dictation/{dictation.pk}/editor/"


def test_the_editor_shows_each_word_with_its_times_and_loads_its_script(dictation, users, client_for):
    page = client_for(users["transcriptionist"]).get(_editor(dictation))
    assert page.status_code == 200
    html = page.content.decode()
    first = dictation.words[0]
    assert f'tabindex="-1" data-start="{first["start"]}" data-end="{first["end"]}">Chest</span>' in html
    assert html.count('class="tx-word"') == 5
    assert "/static/transcription/editor.js" in html and "<script>" not in html
    assert '"hpi": "history of present illness"' in html  # the site list, as data for the script
    assert AuditEvent.objects.filter(object_type="dictation_editor", object_id=str(dictation.pk)).exists()


def test_a_save_with_do_not_use_abbreviations_shows_them_and_keeps_nothing(dictation, users, client_for):
    client = client_for(users["transcriptionist"])
    document = dictation.document
    text = "Give 10 U insulin q.d. and MSO4 2.0 mg, then .5 mg."
    response = client.post(_editor(dictation), {"text": text, "revision": document.revision})
    assert response.status_code == 400
    html = response.content.decode()
    for found in ("<strong>U</strong>", "<strong>q.d.</strong>", "<strong>MSO4</strong>", "<strong>2.0</strong>",
                  "<strong>.5</strong>"):
        assert found in html
    assert "5 do-not-use abbreviation(s) flagged" in html
    assert DocumentVersion.objects.filter(document=document).count() == 1

    kept = client.post(_editor(dictation), {"text": text, "revision": document.revision, "keep_flagged": "on"})
    assert kept.status_code == 302
    document.refresh_from_db()
    assert document.current_version.text == text


def test_a_clean_save_becomes_the_preliminary_documents_next_version(dictation, users, client_for):
    client = client_for(users["transcriptionist"])
    document = dictation.document
    text = "Chest pain for three days [inaudible 00:02] worse on exertion."
    response = client.post(_editor(dictation), {"text": text, "revision": document.revision})
    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.current_version.text, document.current_version.created_by) == (text,
                                                                                       users["transcriptionist"])
    assert document.status == "preliminary"
    assert editor.blanks(text) == ["00:02"]
    stale = client.post(_editor(dictation), {"text": "Another text.", "revision": document.revision - 1})
    assert stale.status_code == 409
    assert client.post(_editor(dictation), {"text": "  ", "revision": document.revision}).status_code == 400


def test_the_do_not_use_rules_leave_ordinary_words_alone():
    assert editor.do_not_use_flags("Upper GI, 10 units daily, 0.5 mg, 2 mg, 1.05 mmol, MRI, IUD, Q10.") == []
    assert [flag.rule for flag in editor.do_not_use_flags("QOD dosing\nmagnesium MgSO4 1 IU")] == \
        ["Q.O.D.", "MgSO4", "IU"]
    assert editor.do_not_use_flags("a\nb qd")[0].line == 2


def test_line_counts_are_65_characters_with_spaces_and_no_line_breaks():
    assert editor.line_count("x" * 65) == 1.0
    assert editor.line_count("x" * 65 + "\n" + "y" * 65) == 2.0
    assert editor.line_count("a b") == 0.05  # 3 characters, spaces counted, rounded up to the hundredth


def test_a_transcriptionist_keeps_their_own_abbreviations_but_never_a_do_not_use_one(dictation, users, client_for):
    client = client_for(users["transcriptionist"])
    url = f"/transcription/dictation/{dictation.pk}/abbreviation/"
    client.post(url, {"abbreviation": "LBP", "expansion": "low back pain"})
    assert dict(PersonalAbbreviation.objects.filter(user=users["transcriptionist"]).values_list(
        "abbreviation", "expansion")) == {"lbp": "low back pain"}
    assert '"lbp": "low back pain"' in client.get(_editor(dictation)).content.decode()
    refused = client.post(url, {"abbreviation": "ins", "expansion": "10 U insulin"}, follow=True)
    assert "holds a do-not-use abbreviation (U)" in refused.content.decode()
    refused = client.post(url, {"abbreviation": "two words", "expansion": "x"}, follow=True)
    assert "is one word" in refused.content.decode()
    assert PersonalAbbreviation.objects.count() == 1


@pytest.mark.parametrize("role", OUTSIDE_TRANSCRIPTION + ["him_manager"])
def test_only_transcriptionists_open_the_editor(role, dictation, users, client_for):
    client = client_for(users[role])
    document = dictation.document
    assert client.get(_editor(dictation)).status_code == 403
    assert client.post(_editor(dictation), {"text": "Changed.", "revision": document.revision}).status_code == 403
    assert client.post(f"/transcription/dictation/{dictation.pk}/abbreviation/",
                       {"abbreviation": "x", "expansion": "y"}).status_code == 403
    assert DocumentVersion.objects.filter(document=document).count() == 1


def test_the_recording_answers_a_range_request_with_that_slice(dictation, users, client_for):
    client = client_for(users["transcriptionist"])
    url = f"/transcription/dictation/{dictation.pk}/audio/"
    whole = client.get(url)
    body = b"".join(whole.streaming_content)
    assert whole["Accept-Ranges"] == "bytes" and whole["Content-Type"] == "audio/wav"
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(body)}"
    assert b"".join(part.streaming_content) == body[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == body[-10:]
    beyond = client.get(url, HTTP_RANGE=f"bytes={len(body)}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(body)}"
    assert AuditEvent.objects.filter(object_type="dictation_audio", object_id=str(dictation.pk)).count() == 4


def _delivered(dictation: Dictation, users: dict[str, Any], client_for: Any) -> str:
    client = client_for(users["transcriptionist"])
    client.post(f"/transcription/dictation/{dictation.pk}/", {"action": "take", "revision": dictation.revision})
    text = "x" * 100 + "\n" + "y" * 30  # 130 characters: 2.00 lines
    client.post(_editor(dictation), {"text": text, "revision": dictation.document.revision})
    dictation.refresh_from_db()
    client.post(f"/transcription/dictation/{dictation.pk}/", {"action": "send", "revision": dictation.revision})
    Dictation.objects.filter(pk=dictation.pk).update(
        dictated_at=dictation.dictated_at - timedelta(hours=5))
    return text


def test_the_him_manager_sees_lines_and_turnaround_per_transcriptionist_and_document(dictation, users, client_for):
    _delivered(dictation, users, client_for)
    dictation.refresh_from_db()
    assert dictation.status == DictationStatus.WITH_AUTHOR
    page = client_for(users["him_manager"]).get("/transcription/productivity/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"<td>{users['transcriptionist']}</td><td class=\"numeric\">1</td><td class=\"numeric\">2.00</td>" in html
    assert '<td class="numeric">5.0</td>' in html  # five hours from dictation to preliminary
    assert AuditEvent.objects.filter(object_type="transcription_productivity", user=users["him_manager"]).exists()


def test_a_transcriptionist_sees_their_own_numbers_on_their_queue(dictation, users, client_for):
    _delivered(dictation, users, client_for)
    queue = client_for(users["transcriptionist"]).get("/transcription/queue/").content.decode()
    assert "2.00 lines in 1 document." in queue
    other = client_for(factories.make_user("transcriptionist"))
    assert "0.00 lines in 0 documents." in other.get("/transcription/queue/").content.decode()


@pytest.mark.parametrize("role", OUTSIDE_TRANSCRIPTION + ["transcriptionist"])
def test_roles_other_than_the_him_manager_cannot_open_the_productivity_report(role, users, client_for):
    assert client_for(users[role]).get("/transcription/productivity/").status_code == 403


def test_the_transcriptionists_home_is_their_queue(users, client_for):
    response = client_for(users["transcriptionist"]).get("/")
    assert response.status_code == 302 and response["Location"] == "/transcription/queue/"
    assert client_for(users["him_manager"]).get("/").status_code == 200


def test_a_restricted_chart_is_left_out_of_the_productivity_figures(dictation, users, client_for):
    from chartdesk.patients.actions import do_set_restriction

    _delivered(dictation, users, client_for)
    do_set_restriction(dictation.patient, restriction="vip", note="board member", acting_user=users["him_manager"])
    queue = client_for(users["transcriptionist"]).get("/transcription/queue/").content.decode()
    assert "Garcia" not in queue and "0.00 lines in 0 documents." in queue
    assert client_for(users["transcriptionist"]).get(_editor(dictation)).status_code == 404
