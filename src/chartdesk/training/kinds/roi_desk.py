"""Release of information on the real desk: build each exercise request in the student's sandbox, and
read back what the student decided on the request screen as the kind's answer (roi.grade grades it).

Each request gets a patient of its own, so the request page lists only its own authorization, as a
real request would. The authorization is recorded as received (an incomplete form is recorded all the
same) and attached when it covers the request; one naming another recipient or purpose stays on file
unattached, as the desk refuses to attach it. Its dates move with the exercise: the desk validates
against today, so every date is shifted by the days between the exercise's date and today, which keeps
an expired authorization expired and a valid one valid.

What is read back, per request (found by its purpose detail, "Exercise <id>, request <label>"):
denied, with the standard reasons ticked on the Deny form, or taken into processing (released); the
sensitive categories ticked to withhold; the fee quoted on the request page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from chartdesk.training.grading import AnswerError, Exercise
from chartdesk.training.kinds._common import sandbox_staff

# One synthetic person per request label (names written for Chartdesk).
_PEOPLE = (
    ("Maren", "Holloway", "1968-02-11", "F"), ("Desmond", "Achterberg", "1955-07-30", "M"),
    ("Lucia", "Ferreira-Obi", "1990-11-05", "F"), ("Tobias", "Wennerstrom", "1979-04-18", "M"),
    ("Ines", "Castellano", "2001-09-23", "F"), ("Rafferty", "Quill", "1947-12-02", "M"),
)
_RELEASED_STATUSES = ("in_processing", "quality_check", "released", "closed")
_DATE_FIELDS = ("expires_on", "signed_on")
_TEXT_FIELDS = ("information_described", "discloser", "recipient", "purpose", "expiration_event", "signer_name",
                "representative_authority")
_FLAGS = ("signature_present", "signed_by_representative", "states_right_to_revoke", "states_conditioning",
          "states_redisclosure")


def request_detail(exercise: Exercise, label: str) -> str:
    """The purpose detail the request is logged with: how the student and the grader find it."""
    return f"Exercise {exercise.id}, request {label}"


def _shift(setup: Mapping[str, Any]) -> timedelta:
    from django.utils import timezone

    return timezone.localdate() - date.fromisoformat(setup["today"])


def _moved(text: Any, shift: timedelta) -> date | None:
    return date.fromisoformat(text) + shift if text else None


def _patient(position: int, registrar: Any) -> Any:
    from chartdesk.patients.actions import do_register_patient
    from chartdesk.patients.schemas import PatientRegistration

    given, family, born, sex = _PEOPLE[position % len(_PEOPLE)]
    return do_register_patient(PatientRegistration(given_name=given, family_name=family, sex=sex,
                                                   birth_date=date.fromisoformat(born)), acting_user=registrar)


def _authorization(patient: Any, setup: Mapping[str, Any], shift: timedelta, specialist: Any) -> Any:
    from chartdesk.disclosures.actions import do_record_authorization, do_revoke_authorization

    fields: dict[str, Any] = {name: str(setup.get(name, "")) for name in _TEXT_FIELDS}
    fields.update({name: bool(setup.get(name, False)) for name in _FLAGS})
    fields.update({name: _moved(setup.get(name), shift) for name in _DATE_FIELDS})
    authorization = do_record_authorization(patient, acting_user=specialist,
                                            sensitive_categories=list(setup.get("sensitive_categories", [])),
                                            purposes=list(setup.get("purposes", [])), **fields)
    if setup.get("revoked_on"):
        revoked_on = date.fromisoformat(setup["revoked_on"]) + shift
        authorization = do_revoke_authorization(authorization, revoked_on=revoked_on,
                                                note="Written revocation received", acting_user=specialist)
    return authorization


def _requester(entry: Mapping[str, Any]) -> str:
    # An authored setup may leave the name out (the key does not need it); the desk needs one.
    return str(entry.get("requester_name") or f"Requester of request {entry['id']}")


def build(exercise: Exercise) -> None:
    """Log each request of the exercise in the sandbox, with its patient and authorization."""
    from chartdesk.disclosures.actions import do_attach_authorization, do_log_request
    from chartdesk.disclosures.authorizations import needs_authorization
    from chartdesk.disclosures.matching import candidate_mismatches

    registrar, specialist = sandbox_staff("registrar"), sandbox_staff("roi")
    shift = _shift(exercise.setup)
    for position, entry in enumerate(exercise.setup["requests"]):
        label = str(entry["id"])
        patient = _patient(position, registrar)
        request = do_log_request(
            patient, requester_type=entry["requester_type"], requester_name=_requester(entry),
            purpose=entry["purpose"], delivery_format=entry.get("delivery_format", "pdf"),
            requester_email="requests@example.org" if entry.get("delivery_format") == "electronic" else "",
            purpose_detail=request_detail(exercise, label), acting_user=specialist,
        )
        if entry.get("authorization") is None:
            continue
        authorization = _authorization(patient, entry["authorization"], shift, specialist)
        if not needs_authorization(request) or not candidate_mismatches(request, authorization):
            do_attach_authorization(request, authorization, acting_user=specialist)


def sandbox_requests(exercise: Exercise) -> dict[str, Any]:
    """The exercise's requests in this sandbox by label (the latest build of each)."""
    from chartdesk.disclosures.models import ReleaseRequest

    found = {}
    for entry in exercise.setup["requests"]:
        label = str(entry["id"])
        request = ReleaseRequest.objects.filter(purpose_detail=request_detail(exercise, label)).order_by("-pk").first()
        if request is None:
            raise AnswerError(f"request {label} of exercise {exercise.id} is not in this sandbox; start the "
                              "exercise again")
        found[label] = request
    return found


def _decision(label: str, request: Any) -> dict[str, Any]:
    if request.status == "denied":
        return {"release": False, "problems": list(request.denial_reasons), "withhold": [], "fee_cents": None}
    if request.status not in _RELEASED_STATUSES:
        raise AnswerError(f"request {label} ({request.number}) is still {request.get_status_display().lower()}: "
                          "deny it with its reasons, or take it into processing to release it")
    if request.quoted_fee_cents is None:
        raise AnswerError(f"request {label} ({request.number}) is taken for release but no fee is quoted: "
                          "quote the fee on the request page")
    return {"release": True, "problems": [], "withhold": list(request.withheld_categories),
            "fee_cents": request.quoted_fee_cents}


def answer_from_records(exercise: Exercise) -> dict[str, Any]:
    """What the student decided on each request, in the kind's answer format."""
    return {"requests": {label: _decision(label, request)
                         for label, request in sandbox_requests(exercise).items()}}


def start_url(exercise: Exercise) -> str:
    from django.urls import reverse

    return reverse("disclosures-queue")


def desk_links(exercise: Exercise) -> list[tuple[str, str]]:
    """"Open the request" links for the attempt page, with what the case states that the chart would show
    (its pages and sensitive categories: an exercise chart holds no documents)."""
    from django.urls import reverse

    from chartdesk.disclosures.models import category_words

    requests = sandbox_requests(exercise)
    links = []
    for entry in exercise.setup["requests"]:
        label = str(entry["id"])
        request = requests[label]
        held = category_words(list(entry.get("chart_categories", []))) or "no sensitive records"
        links.append((f"Open request {label} ({request.number}): {_requester(entry)}; the chart has "
                      f"{entry.get('pages', 0)} pages and holds {held}",
                      reverse("disclosures-request", kwargs={"request_id": request.pk})))
    return links
