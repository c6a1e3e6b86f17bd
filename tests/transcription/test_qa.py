"""The QA sample: the seeded draw of finished drafts at the site's percentage, the trade's accuracy score,
the reviewer's desk (per role, refusals included), the transcriptionist's feedback and QA accuracy on the
productivity report."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.transcription import quality
from chartdesk.transcription.models import DictationStatus, QASample
from chartdesk.transcription.productivity import QATotal
from tests.support import factories

NOT_REVIEWERS = ["registrar", "coder", "billing", "roi", "transcriptionist", "provider", "privacy_officer",
                 "administrator", "front_desk"]
# 130 characters: 2.00 lines.
DELIVERED = "Chest pain for two days, worse on exertion, relieved by rest. No radiation. Denies dyspnea, " \
            "nausea or diaphoresis. Smoker, 1 pack."


def test_the_score_is_100_minus_weighted_errors_per_hundred_lines():
    assert quality.weighted_errors({"medical_word": 1, "punctuation": 4}) == 2.0
    assert quality.accuracy({"medical_word": 1, "punctuation": 4}, 100.0) == 98.0
    assert quality.accuracy({"medical_word": 1, "punctuation": 4}, 50.0) == 96.0
    assert quality.accuracy({"critical": 1, "omission": 1, "format": 1}, 200.0) == 97.88
    assert quality.accuracy({}, 12.3) == 100.0
    assert quality.accuracy({"critical": 40}, 10.0) == 0.0  # never below zero
    assert quality.accuracy({"blank": 1}, 0.4) == 50.0  # under a line counts as one


def test_the_draw_picks_about_the_percentage_and_replays_from_its_seed():
    seeds = [uuid.UUID(int=n).hex for n in range(20_000)]
    picked = [quality.draw(seed, Decimal("5"))[1] for seed in seeds]
    assert 0.045 < sum(picked) / len(picked) < 0.055
    assert quality.draw(seeds[7], Decimal("5")) == quality.draw(seeds[7], Decimal("5"))
    assert not any(quality.draw(seed, Decimal("0"))[1] for seed in seeds[:500])
    assert all(quality.draw(seed, Decimal("100"))[1] for seed in seeds[:500])


def _finish(dictation, client, text=DELIVERED):
    """The transcriptionist takes the dictation, saves the draft and sends it to the author on the desk."""
    page = f"/transcription/dictation/{dictation.pk}/"
    assert client.post(page, {"action": "take", "revision": dictation.revision}).status_code == 302
    dictation.refresh_from_db()
    saved = client.post(f"{page}editor/", {"text": text, "revision": dictation.document.revision})
    assert saved.status_code == 302
    dictation.refresh_from_db()
    return client.post(page, {"action": "send", "revision": dictation.revision})


@pytest.fixture
def picked(dictation, users, client_for, settings):
    settings.TRANSCRIPTION_QA_PERCENT = "100"
    assert _finish(dictation, client_for(users["transcriptionist"])).status_code == 302
    return QASample.objects.get(dictation=dictation)


def test_a_finished_draft_is_drawn_with_its_seed_and_the_number_drawn_kept(picked, users):
    assert picked.selected and picked.transcriptionist == users["transcriptionist"]
    assert (picked.percent, picked.lines) == (Decimal("100.00"), 2.0)
    assert quality.draw(picked.seed, Decimal("5"))[0] == picked.draw  # replayable
    event = AuditEvent.objects.get(object_type="dictation", detail__step="qa draw")
    assert event.detail["seed"] == picked.seed and event.detail["selected"] is True


def test_at_zero_percent_the_draw_is_kept_but_nothing_reaches_the_queue(dictation, users, client_for, settings):
    settings.TRANSCRIPTION_QA_PERCENT = "0"
    _finish(dictation, client_for(users["transcriptionist"]))
    sample = QASample.objects.get(dictation=dictation)
    assert not sample.selected
    him = client_for(factories.make_user("him_manager"))
    assert him.get("/transcription/qa/").context["samples"] == []
    assert him.get(f"/transcription/qa/dictation/{dictation.pk}/").status_code == 404


def test_a_bad_qa_percentage_stops_the_send_and_changes_nothing(dictation, users, client_for, settings):
    settings.TRANSCRIPTION_QA_PERCENT = "150"
    response = _finish(dictation, client_for(users["transcriptionist"]))
    assert "CHARTDESK_TRANSCRIPTION_QA_PERCENT is" in response.content.decode()
    dictation.refresh_from_db()
    assert dictation.status == DictationStatus.DRAFT_READY and dictation.sent_to_author_at is None
    assert not QASample.objects.exists()


def test_the_reviewer_scores_a_sample_and_the_transcriptionist_reads_the_feedback(picked, users, client_for):
    him = client_for(factories.make_user("him_manager"))
    queue = him.get("/transcription/qa/")
    assert queue.context["samples"] == [picked]
    review = f"/transcription/qa/dictation/{picked.dictation_id}/"
    page = him.get(review)
    assert page.status_code == 200 and "Smoker, 1 pack." in page.content.decode()
    scored = him.post(review, {"errors_medical_word": "1", "errors_punctuation": "2",
                               "feedback": "Diaphoresis: check the spelling list."})
    assert scored.status_code == 302
    picked.refresh_from_db()
    # (1 x 1 + 2 x 0.25) weighted errors in 2.00 lines: 100 - 1.5 x 100 / 2.
    assert (picked.errors, picked.weighted_errors, picked.score) == ({"medical_word": 1, "punctuation": 2}, 1.5, 25.0)
    assert him.get("/transcription/qa/").context["samples"] == []

    again = him.post(review, {"errors_critical": "3"})
    assert again.status_code == 409
    picked.refresh_from_db()
    assert picked.score == 25.0

    mine = client_for(users["transcriptionist"]).get("/transcription/qa/mine/")
    html = mine.content.decode()
    assert "Diaphoresis: check the spelling list." in html and "25.00" in html
    assert "Medical word wrong or misspelled: 1" in html
    assert client_for(factories.make_user("transcriptionist")).get("/transcription/qa/mine/").context["rows"] == []

    report = him.get("/transcription/productivity/")
    [total] = report.context["report"].qa
    assert (total.drawn, total.picked, total.scored, total.lines, total.weighted_errors, total.accuracy) == (
        1, 1, 1, 2.0, 1.5, 25.0)
    assert 'id="qa-accuracy"' in report.content.decode()


@pytest.mark.parametrize("counts", [{"errors_omission": "-1"}, {"errors_omission": "many"},
                                    {"errors_critical": "1000"}])
def test_bad_error_counts_are_refused_and_nothing_is_scored(picked, client_for, counts):
    him = client_for(factories.make_user("him_manager"))
    response = him.post(f"/transcription/qa/dictation/{picked.dictation_id}/", counts)
    assert response.status_code == 400
    picked.refresh_from_db()
    assert picked.reviewed_at is None and picked.score is None


@pytest.mark.django_db(transaction=False)
def test_the_qa_accuracy_pools_the_scored_lines():
    total = QATotal(
        transcriptionist=None, drawn=40, picked=2, scored=2, lines=150.0, weighted_errors=3.0)
    assert total.accuracy == 98.0


@pytest.mark.parametrize("role", NOT_REVIEWERS)
def test_only_the_qa_reviewer_opens_the_queue_and_scores(picked, client_for, role):
    client = client_for(factories.make_user(role))
    assert client.get("/transcription/qa/").status_code == 403
    response = client.post(f"/transcription/qa/dictation/{picked.dictation_id}/", {"errors_critical": "1"})
    assert response.status_code == 403
    picked.refresh_from_db()
    assert picked.reviewed_at is None


@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "roi", "provider", "him_manager",
                                  "privacy_officer", "administrator", "front_desk"])
def test_only_transcriptionists_have_a_qa_feedback_page(client_for, role):
    assert client_for(factories.make_user(role)).get("/transcription/qa/mine/").status_code == 403
