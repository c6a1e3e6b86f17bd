"""Release of information on the real request screens: the exercise's requests are built in the
database, worked through the disclosures desk's own steps, and graded from what was recorded."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from chartdesk.disclosures.models import ReleaseRequest, RequestStatus
from chartdesk.patients.actions import do_set_restriction
from chartdesk.training.grading import AnswerError, grade, key_as_answer, shipped_exercises
from chartdesk.training.kinds import roi_desk
from tests.support import factories

pytestmark = pytest.mark.django_db


def _step(client: Any, request: ReleaseRequest, step: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(reverse("disclosures-request-step", kwargs={"request_id": request.pk, "step": step}),
                       data or {}, follow=True)


def work_as_answered(client: Any, request: ReleaseRequest, entry: dict[str, Any], pages: int) -> None:
    """Do on the desk what `entry` (an answer's request) says: deny with its reasons, or release."""
    if not entry["release"]:
        _step(client, request, "deny", {"reasons": entry["problems"], "text": ""})
        return
    if request.requester_type in ("patient", "personal_representative"):
        _step(client, request, "verify", {"text": "Photo ID at the desk"})
    _step(client, request, "process")
    _step(client, request, "withhold", {"categories": entry["withhold"]})
    _step(client, request, "quote", {"pages": str(pages)})


def pages_of(exercise: Any) -> dict[str, int]:
    return {str(entry["id"]): int(entry["pages"]) for entry in exercise.setup["requests"]}


@pytest.mark.parametrize("exercise_id", [f"roi-{number:02d}" for number in range(1, 11)])
def test_working_each_request_on_the_desk_as_the_key_says_earns_full_marks(exercise_id, client_for):
    exercise = shipped_exercises()[exercise_id]
    roi_desk.build(exercise)
    client = client_for(factories.make_user("roi"))
    key = key_as_answer(exercise)["requests"]
    for label, request in roi_desk.sandbox_requests(exercise).items():
        work_as_answered(client, request, key[label], pages_of(exercise)[label])
    answer = roi_desk.answer_from_records(exercise)
    for label, request in roi_desk.sandbox_requests(exercise).items():
        # The desk agrees with the key: a releasable request passes its own validation into processing.
        expected = RequestStatus.IN_PROCESSING if key[label]["release"] else RequestStatus.DENIED
        assert request.status == expected, (label, request.status_note)
    assert grade(exercise, answer).score == 1.0, answer


def test_partly_right_work_is_graded_point_by_point_from_the_records(client_for):
    exercise = shipped_exercises()["roi-01"]  # A: attorney, valid; B: no expiration; C: the patient's own copy
    roi_desk.build(exercise)
    client = client_for(factories.make_user("roi"))
    requests = roi_desk.sandbox_requests(exercise)
    key = key_as_answer(exercise)["requests"]
    work_as_answered(client, requests["A"], key["A"], 16)
    work_as_answered(client, requests["B"], {"release": False, "problems": ["expiration", "signature"]}, 0)
    work_as_answered(client, requests["C"], {**key["C"], "withhold": []}, 90)  # the wrong page count

    result = grade(exercise, roi_desk.answer_from_records(exercise))
    by_point = {item.point: item for item in result.items}
    assert by_point["Request A: fee"].earned == 1.0
    assert by_point["Request B: release or deny"].earned == 1.0
    assert by_point["Request B: problems with the authorization"].earned == 0.0  # one right, one wrong
    assert "Not a problem here: signature" in by_point["Request B: problems with the authorization"].explanation
    assert by_point["Request C: fee"].earned == 0.0
    assert "$4.30" in by_point["Request C: fee"].explanation
    assert 0.5 < result.score < 1.0


def test_wrong_work_scores_what_the_records_show(client_for):
    exercise = shipped_exercises()["roi-01"]
    roi_desk.build(exercise)
    client = client_for(factories.make_user("roi"))
    requests = roi_desk.sandbox_requests(exercise)
    # Denies the two good requests and takes the one without an expiration into processing.
    work_as_answered(client, requests["A"], {"release": False, "problems": ["recipient_mismatch"]}, 0)
    work_as_answered(client, requests["C"], {"release": False, "problems": ["no_authorization"]}, 0)
    _step(client, requests["B"], "process")
    requests["B"].refresh_from_db()
    assert requests["B"].status == RequestStatus.AWAITING_AUTHORIZATION
    with pytest.raises(AnswerError, match="request B .* is still awaiting authorization"):
        roi_desk.answer_from_records(exercise)
    # Then denies it for a reason it does not have: only the decision itself earns its point.
    work_as_answered(client, requests["B"], {"release": False, "problems": ["signature"]}, 0)
    answer = roi_desk.answer_from_records(exercise)
    assert answer["requests"]["B"] == {"release": False, "problems": ["signature"], "withhold": [],
                                       "fee_cents": None}
    result = grade(exercise, answer)
    # Only B's decision earns, and "withhold nothing" where the chart holds nothing to withhold.
    assert [item.point for item in result.items if item.earned] == [
        "Request A: what is withheld", "Request B: release or deny", "Request C: what is withheld"]
    assert (result.earned, result.possible) == (3.0, 10.0)


def test_a_release_without_a_quote_is_not_graded_and_says_what_to_do(client_for):
    exercise = shipped_exercises()["roi-01"]
    roi_desk.build(exercise)
    client = client_for(factories.make_user("roi"))
    requests = roi_desk.sandbox_requests(exercise)
    _step(client, requests["A"], "process")
    for label in ("B", "C"):
        _step(client, requests[label], "deny", {"text": "Not today"})
    with pytest.raises(AnswerError, match="request A .* no fee is quoted"):
        roi_desk.answer_from_records(exercise)


def test_the_deny_form_names_the_reasons_ticked_and_refuses_unknown_ones(client_for):
    exercise = shipped_exercises()["roi-01"]
    roi_desk.build(exercise)
    client = client_for(factories.make_user("roi"))
    request = roi_desk.sandbox_requests(exercise)["B"]
    refused = _step(client, request, "deny", {"reasons": ["expiration", "made-up"]})
    assert "Unknown denial reason: made-up" in refused.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.LOGGED and request.denial_reasons == []
    refused = _step(client, request, "deny", {"text": "  "})
    assert "Give the reason for the denial" in refused.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.LOGGED
    page = _step(client, request, "deny", {"reasons": ["expiration"]}).content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.DENIED and request.denial_reasons == ["expiration"]
    assert "neither an expiration date nor an expiration event" in request.status_note
    assert "Denied because" in page


def test_bad_pages_or_categories_are_refused_and_change_nothing(client_for):
    exercise = shipped_exercises()["roi-01"]
    roi_desk.build(exercise)
    client = client_for(factories.make_user("roi"))
    request = roi_desk.sandbox_requests(exercise)["A"]
    for pages in ("", "0", "ten", "100001"):
        assert "Give the number of pages" in _step(client, request, "quote", {"pages": pages}).content.decode()
    assert "Unknown sensitive category: gossip" in _step(
        client, request, "withhold", {"categories": ["gossip"]}).content.decode()
    request.refresh_from_db()
    assert request.quoted_fee_cents is None and request.withheld_categories == []
    assert "$24.50" in _step(client, request, "quote", {"pages": "16"}).content.decode()
    request.refresh_from_db()
    assert (request.quoted_pages, request.quoted_fee_cents) == (16, 2450)


@pytest.mark.parametrize("role", ["registrar", "coder", "student", "instructor"])
def test_roles_without_the_roi_desk_cannot_deny_withhold_or_quote(role, client_for):
    exercise = shipped_exercises()["roi-01"]
    roi_desk.build(exercise)
    client = client_for(factories.make_user(role))
    request = roi_desk.sandbox_requests(exercise)["A"]
    for step, data in (("deny", {"reasons": ["expiration"]}), ("withhold", {"categories": ["genetic"]}),
                       ("quote", {"pages": "3"})):
        response = client.post(reverse("disclosures-request-step", kwargs={"request_id": request.pk, "step": step}),
                               data)
        assert response.status_code == 403
    request.refresh_from_db()
    assert (request.status, request.withheld_categories, request.quoted_fee_cents) == (RequestStatus.LOGGED, [], None)


def test_a_restricted_chart_refuses_the_decisions_as_not_found(client_for):
    exercise = shipped_exercises()["roi-01"]
    roi_desk.build(exercise)
    request = roi_desk.sandbox_requests(exercise)["A"]
    do_set_restriction(request.patient, restriction="vip", note="board member",
                       acting_user=factories.make_user("him_manager"))
    client = client_for(factories.make_user("roi"))
    response = client.post(reverse("disclosures-request-step", kwargs={"request_id": request.pk, "step": "quote"}),
                           {"pages": "3"})
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.quoted_fee_cents is None


def test_a_student_works_the_requests_in_their_sandbox_only_and_hands_in_from_the_attempt_page(
        enrollment, student, other_student, course, client_for):
    from chartdesk.training import actions, sandbox
    from chartdesk.training.models import Attempt

    exercise = shipped_exercises()["roi-01"]
    theirs = actions.do_join_course(course.join_code, acting_user=other_student)
    actions.do_start_attempt(theirs, exercise, acting_user=other_student)
    client = client_for(student)
    started = client.post(f"/training/enrollment/{enrollment.pk}/exercise/{exercise.id}/")
    attempt = Attempt.objects.get(enrollment=enrollment)
    assert started.status_code == 302 and started["Location"] == f"/training/attempt/{attempt.pk}/"
    page = client.get(started["Location"]).content.decode()
    with sandbox.sandbox_database(sandbox.sandbox_path(enrollment.sandbox)):
        requests = roi_desk.sandbox_requests(exercise)
    for label, request in requests.items():
        assert f"Open request {label} ({request.number})" in page
        assert reverse("disclosures-request", kwargs={"request_id": request.pk}) in page
    assert "Hand in" in page and 'name="answer"' not in page  # the real screens, not the typed box

    key = key_as_answer(exercise)["requests"]
    for label, request in requests.items():
        work_as_answered(client, request, key[label], pages_of(exercise)[label])
    # Nothing reached the main database or the other student's sandbox.
    assert not ReleaseRequest.objects.exists()
    with sandbox.sandbox_database(sandbox.sandbox_path(theirs.sandbox)):
        untouched = roi_desk.sandbox_requests(exercise)
        assert {request.status for request in untouched.values()} == {RequestStatus.LOGGED}
        assert all(request.quoted_fee_cents is None for request in untouched.values())
    with sandbox.sandbox_database(sandbox.sandbox_path(enrollment.sandbox)):
        assert roi_desk.sandbox_requests(exercise)["B"].status == RequestStatus.DENIED

    handed = client.post(f"/training/attempt/{attempt.pk}/")
    assert handed.status_code == 302
    attempt.refresh_from_db()
    assert attempt.score == 1.0
    assert attempt.answer["requests"]["B"] == {"release": False, "problems": ["expiration"], "withhold": [],
                                               "fee_cents": None}
    assert attempt.answer["requests"]["A"]["fee_cents"] == 2450
