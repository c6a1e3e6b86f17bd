"""Release of information: is each request's authorization valid, what may be released, what it costs.

The key is what the disclosures app itself decides (authorization_problems for 45 CFR 164.508(c),
needs_authorization for TPO and the right of access, the sensitive-category rules of the document
selection, quote_fee with the default fee schedule), so a student graded here learns what the desk
does. `key_from_setup` computes it; the tests hold every shipped key to it. The student works the
requests on the real request screens; roi_desk.py builds them and reads the decisions back.

Exercise setup: {"today": "2026-03-15", "requests": [{"id": "A", "requester_type": "attorney",
  "requester_name": "...", "purpose": "legal", "delivery_format": "paper", "pages": 40,
  "chart_categories": ["part2"], "authorization": {<Authorization fields>} or null}]}
Answer (and key): {"requests": {"A": {"release": false, "problems": ["expiration"], "withhold": [],
  "fee_cents": null}}}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import SimpleNamespace
from typing import Any

from chartdesk.disclosures import authorizations as rules
from chartdesk.disclosures import matching
from chartdesk.disclosures.fees import DEFAULT_FEES, dollars, quote_fee
from chartdesk.disclosures.models import DeliveryFormat, Purpose, RequesterType, SensitiveCategory
from chartdesk.disclosures.selection import _category_reason
from chartdesk.training.grading import AnswerError, Exercise, ExerciseKind, FeedbackItem, Grade, register_kind
from chartdesk.training.kinds import roi_desk
from chartdesk.training.kinds._common import field, only_known, require_mapping, require_strings, set_credit

# Each problem the product's validation can name, as a short code a student writes, with the words
# (and the paragraph of the rule) the desk itself shows.
PROBLEMS: dict[str, str] = {
    **rules.MISSING_ELEMENTS,
    "expired": "It has expired: an authorization past its expiration date is defective (164.508(b)(2)(i)).",
    "revoked": "The patient revoked it: a revoked authorization is defective (164.508(b)(2)(iv), 164.508(b)(5)).",
    "dated_in_future": "It is dated after today: the signature date cannot be trusted (164.508(c)(1)(vi)).",
    "recipient_mismatch": "The authorization names another recipient than the requester: it permits disclosure "
                          "only to the person or organisation it names (164.508(c)(1)(iii)).",
    "purpose_mismatch": "The authorization covers other purposes than this request's: it permits disclosure only "
                        "for the purposes it states (164.508(c)(1)(iv)).",
    "purpose_not_recorded": matching.PURPOSE_NOT_CODED.format(purpose="the request's purpose"),
    "no_authorization": rules.NO_AUTHORIZATION + " Disclosures other than treatment, payment, operations, "
                        "the patient's own access and those required by law need one (164.508(a)(1)).",
}
# The product fills these in (a date, a name, a purpose); they are recognised by the words before that.
_FILLED = {"expired": rules.EXPIRED, "revoked": rules.REVOKED, "dated_in_future": rules.SIGNED_AFTER_TODAY,
           "recipient_mismatch": matching.RECIPIENT_MISMATCH, "purpose_mismatch": matching.PURPOSE_MISMATCH,
           "purpose_not_recorded": matching.PURPOSE_NOT_CODED}

FEE_RULES = {
    "none": "Copies for continuing care (treatment) are free.",
    "cost_based": (
        "The patient's own copy (right of access, 45 CFR 164.524(c)(4)) may be charged only a reasonable "
        "cost-based fee: labour to copy, supplies for paper copies, postage when mailed."
    ),
    "flat": "The patient's own electronic copy at HHS's flat fee (45 CFR 164.524(c)(4)).",
    "per_page": (
        "A third party pays the state per-page schedule the desk's fee calculator uses: search and handling, "
        "a charge per page, postage when mailed."
    ),
}

EXERCISE_PATIENT = 1  # every request of an exercise is about one patient, who signed its authorizations
AUTHORIZATION_BOOLEANS = ("signature_present", "signed_by_representative", "states_right_to_revoke",
                          "states_conditioning", "states_redisclosure")
AUTHORIZATION_TEXTS = ("information_described", "discloser", "recipient", "purpose", "expiration_event",
                       "signer_name", "representative_authority")
AUTHORIZATION_DATES = ("expires_on", "signed_on", "revoked_on")


def _date(text: Any) -> date | None:
    return date.fromisoformat(text) if text else None


def authorization_of(setup: Mapping[str, Any]) -> SimpleNamespace:
    """An exercise's authorization as the validation reads it (the same fields as the model)."""
    return SimpleNamespace(
        **{name: bool(setup.get(name, False)) for name in AUTHORIZATION_BOOLEANS},
        **{name: str(setup.get(name, "")) for name in AUTHORIZATION_TEXTS},
        **{name: _date(setup.get(name)) for name in AUTHORIZATION_DATES},
        sensitive_categories=list(setup.get("sensitive_categories", [])),
        purposes=list(setup.get("purposes", [])), patient_id=EXERCISE_PATIENT,
        # Exercises leave the record types and dates open: the chart's documents are not part of them.
        document_types=[], records_from=None, records_to=None,
    )


def request_of(setup: Mapping[str, Any]) -> SimpleNamespace:
    purpose = setup["purpose"]
    return SimpleNamespace(requester_type=setup["requester_type"], purpose=purpose,
                           requester_name=setup.get("requester_name", ""), patient_id=EXERCISE_PATIENT,
                           delivery_format=setup.get("delivery_format", DeliveryFormat.PDF),
                           get_purpose_display=lambda: Purpose(purpose).label)


def problem_codes(messages: list[str]) -> list[str]:
    """The codes of the product's validation messages."""
    codes = []
    for message in messages:
        for code, text in PROBLEMS.items():
            filled = _FILLED.get(code)
            if message == text or (filled and message.startswith(filled.split("{")[0])):
                codes.append(code)
                break
        else:
            raise ValueError(f"no training code for the validation message {message!r}")
    return codes


def decide(request_setup: Mapping[str, Any], today: date) -> dict[str, Any]:
    """What the disclosures app decides for one request: the key entry."""
    request = request_of(request_setup)
    authorization_setup = request_setup.get("authorization")
    problems: list[str] = []
    if rules.needs_authorization(request):  # type: ignore[arg-type]
        if authorization_setup is None:
            problems = ["no_authorization"]
        else:
            authorization = authorization_of(authorization_setup)
            # As the desk's release check does: valid on its own, and covering this request.
            problems = problem_codes(
                rules.authorization_problems(authorization, today)
                + matching.authorization_mismatches(request, authorization, [])  # type: ignore[arg-type]
            )
    if problems:
        return {"release": False, "problems": problems, "withhold": [], "fee_cents": None, "fee_method": "",
                "fee_lines": []}
    named = set(authorization_of(authorization_setup).sensitive_categories) if authorization_setup else set()
    withhold = [category for category in request_setup.get("chart_categories", [])
                if not _category_reason(request, category, named)[0]]  # type: ignore[arg-type]
    quote = quote_fee(request, int(request_setup["pages"]), DEFAULT_FEES)
    return {"release": True, "problems": [], "withhold": withhold, "fee_cents": quote.total_cents,
            "fee_method": quote.method, "fee_lines": [[label, cents] for label, cents in quote.lines]}


def key_from_setup(setup: Mapping[str, Any]) -> dict[str, Any]:
    today = date.fromisoformat(setup["today"])
    return {"requests": {entry["id"]: decide(entry, today) for entry in setup["requests"]}}


def _requests(exercise: Exercise) -> dict[str, Mapping[str, Any]]:
    return {str(entry["id"]): entry for entry in exercise.setup.get("requests", [])}


def _why_needed(request_setup: Mapping[str, Any]) -> str:
    request = request_of(request_setup)
    if rules.needs_authorization(request):  # type: ignore[arg-type]
        who = RequesterType(request.requester_type).label.lower()
        return (f"A {who} asking for {Purpose(request.purpose).label.lower()} needs the patient's authorization "
                "(164.508(a)(1)).")
    if request.purpose == Purpose.TREATMENT:
        return "Treatment, payment and operations need no authorization (164.506(c))."
    if rules.is_right_of_access(request):  # type: ignore[arg-type]
        return "The patient's own request is the right of access (164.524); no authorization is needed."
    if request.purpose in (Purpose.PAYMENT, Purpose.OPERATIONS):
        return "Treatment, payment and operations need no authorization (164.506(c))."
    return "Disclosures required by law or to a court need no authorization (164.512)."


def _answer_entry(request_id: str, answer: Mapping[str, Any]) -> dict[str, Any]:
    where = f"request {request_id}"
    entry = require_mapping(answer, where)
    release = field(entry, "release", where)
    if not isinstance(release, bool):
        raise AnswerError(f"{where}: 'release' must be true or false")
    problems = require_strings(entry.get("problems", []), f"{where} problems")
    only_known(problems, PROBLEMS, f"{where} problems")
    withhold = require_strings(entry.get("withhold", []), f"{where} withhold")
    only_known(withhold, SensitiveCategory.values, f"{where} withhold")
    fee = entry.get("fee_cents")
    if release and fee is None:
        raise AnswerError(f"{where}: a release needs 'fee_cents' (the fee in cents, 0 when free)")
    if fee is not None and (not isinstance(fee, int) or isinstance(fee, bool) or fee < 0):
        raise AnswerError(f"{where}: 'fee_cents' must be a whole number of cents, 0 or more")
    return {"release": release, "problems": problems, "withhold": withhold, "fee_cents": fee}


def _labels(categories: list[str]) -> str:
    return ", ".join(SensitiveCategory(category).label for category in categories) or "nothing"


def _grade_request(request_id: str, request_setup: Mapping[str, Any], key: Mapping[str, Any],
                   given: dict[str, Any]) -> list[FeedbackItem]:
    expected_problems = list(key["problems"])
    reasons = " ".join(PROBLEMS[code] for code in expected_problems)
    decision = "release" if key["release"] else "deny (or hold for a valid authorization)"
    items = [FeedbackItem(
        f"Request {request_id}: release or deny", 1.0 if given["release"] == key["release"] else 0.0, 1.0,
        f"{_why_needed(request_setup)} {reasons} Right answer: {decision}.".replace("  ", " "),
    )]
    found = set(given["problems"])
    missed = [code for code in expected_problems if code not in found]
    extra = sorted(found - set(expected_problems))
    detail = ""
    if missed:
        detail += f" Missed: {', '.join(missed)}."
    if extra:
        detail += f" Not a problem here: {', '.join(extra)}."
    items.append(FeedbackItem(
        f"Request {request_id}: problems with the authorization",
        set_credit(set(expected_problems), found), 1.0,
        ("45 CFR 164.508(c) lists the core elements and statements of a valid authorization, and it covers only "
         "the recipient and purposes it names; "
         f"the problems here: {', '.join(expected_problems) or 'none'}.{detail}"),
    ))
    if not key["release"]:
        return items
    withhold = set(key["withhold"])
    present = list(request_setup.get("chart_categories", []))
    items.append(FeedbackItem(
        f"Request {request_id}: what is withheld", set_credit(withhold, set(given["withhold"])), 1.0,
        (f"The chart holds {_labels(present)}. Psychotherapy notes (164.508(a)(2)) and substance use disorder "
         "records (42 CFR Part 2, 2.31) and the other segmented categories go out only when the authorization "
         "names them; the patient's own access covers everything but psychotherapy notes (164.524(a)(1)(i)); "
         f"minimum necessary (164.502(b)) limits the rest to the purpose. Withhold: {_labels(sorted(withhold))}."),
    ))
    lines = "; ".join(f"{label} {dollars(cents)}" for label, cents in key["fee_lines"])
    items.append(FeedbackItem(
        f"Request {request_id}: fee", 1.0 if given["fee_cents"] == key["fee_cents"] else 0.0, 1.0,
        f"{FEE_RULES[key['fee_method']]} {lines}: {dollars(int(key['fee_cents']))} in all.",
    ))
    return items


def grade(exercise: Exercise, answer: Mapping[str, Any]) -> Grade:
    requests = _requests(exercise)
    given_requests = require_mapping(field(answer, "requests", "the answer"), "'requests'")
    only_known(given_requests, requests, "the answer's requests")
    items: list[FeedbackItem] = []
    for request_id, request_setup in requests.items():
        if request_id not in given_requests:
            raise AnswerError(f"the answer has no entry for request {request_id!r}")
        given = _answer_entry(request_id, given_requests[request_id])
        items += _grade_request(request_id, request_setup, exercise.key["requests"][request_id], given)
    return Grade(tuple(items))


ROI = register_kind(ExerciseKind(
    name="roi",
    title="Release of information: authorizations, what may be released, fees",
    grade=grade,
    build=roi_desk.build,
    answer_from_records=roi_desk.answer_from_records,
    start_url=roi_desk.start_url,
    desk_links=roi_desk.desk_links,
    key_from_setup=key_from_setup,
    answer_help=(
        '{"requests": {"A": {"release": true, "problems": [], "withhold": ["psychotherapy"], "fee_cents": 3650}}}: '
        "for each request, whether it may be released, the authorization's problems (codes), the sensitive "
        "categories withheld and the fee in cents."
    ),
))
