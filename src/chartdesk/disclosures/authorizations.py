"""Is an authorization valid? Each element and statement 45 CFR 164.508(c) requires, checked by name.

`authorization_problems` is pure: it reads the structured fields and a date, and lists every problem
in words a person can act on. An empty list means the authorization may be relied on.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chartdesk.disclosures.models import Purpose, ReleaseRequest, RequesterType, SensitiveCategory

MISSING_INFORMATION = "It does not describe the information to be disclosed (164.508(c)(1)(i))."
MISSING_DISCLOSER = "It does not name who may make the disclosure (164.508(c)(1)(ii))."
MISSING_RECIPIENT = "It does not name to whom the disclosure may be made (164.508(c)(1)(iii))."
MISSING_PURPOSE = "It does not state the purpose of the disclosure (164.508(c)(1)(iv))."
MISSING_EXPIRATION = "It has neither an expiration date nor an expiration event (164.508(c)(1)(v))."
MISSING_SIGNATURE = "It is not signed (164.508(c)(1)(vi))."
MISSING_SIGNED_DATE = "The date of the signature is missing (164.508(c)(1)(vi))."
MISSING_AUTHORITY = (
    "It is signed by a personal representative without a description of their authority (164.508(c)(1)(vi))."
)
MISSING_REVOKE_STATEMENT = "The statement of the right to revoke it is missing (164.508(c)(2)(i))."
MISSING_CONDITIONING_STATEMENT = (
    "The statement on whether treatment, payment or eligibility may be conditioned on signing is missing "
    "(164.508(c)(2)(ii))."
)
MISSING_REDISCLOSURE_STATEMENT = (
    "The statement that the information may be redisclosed by the recipient is missing (164.508(c)(2)(iii))."
)
# Each missing core element or required statement by a short code: the code a denial records (and a
# student writes in a release-of-information exercise), the words the desk shows.
MISSING_ELEMENTS: dict[str, str] = {
    "information": MISSING_INFORMATION,
    "discloser": MISSING_DISCLOSER,
    "recipient": MISSING_RECIPIENT,
    "purpose": MISSING_PURPOSE,
    "expiration": MISSING_EXPIRATION,
    "signature": MISSING_SIGNATURE,
    "signature_date": MISSING_SIGNED_DATE,
    "representative_authority": MISSING_AUTHORITY,
    "revocation_statement": MISSING_REVOKE_STATEMENT,
    "conditioning_statement": MISSING_CONDITIONING_STATEMENT,
    "redisclosure_statement": MISSING_REDISCLOSURE_STATEMENT,
}
EXPIRED = "It expired on {when:%Y-%m-%d}."
REVOKED = "The patient revoked it on {when:%Y-%m-%d}."
SIGNED_AFTER_TODAY = "It is dated {when:%Y-%m-%d}, after today."
OTHER_PATIENT = "It was signed for another patient."
NO_AUTHORIZATION = "This request needs the patient's authorization, and none is attached."


def authorization_problems(authorization: Any, today: date) -> list[str]:
    """Every reason `authorization` cannot be relied on today; [] when it is valid."""
    problems = []
    if not (authorization.information_described or "").strip():
        problems.append(MISSING_INFORMATION)
    if not (authorization.discloser or "").strip():
        problems.append(MISSING_DISCLOSER)
    if not (authorization.recipient or "").strip():
        problems.append(MISSING_RECIPIENT)
    if not (authorization.purpose or "").strip():
        problems.append(MISSING_PURPOSE)
    if authorization.expires_on is None and not (authorization.expiration_event or "").strip():
        problems.append(MISSING_EXPIRATION)
    if not authorization.signature_present:
        problems.append(MISSING_SIGNATURE)
    if authorization.signed_on is None:
        problems.append(MISSING_SIGNED_DATE)
    elif authorization.signed_on > today:
        problems.append(SIGNED_AFTER_TODAY.format(when=authorization.signed_on))
    if authorization.signed_by_representative and not (authorization.representative_authority or "").strip():
        problems.append(MISSING_AUTHORITY)
    if not authorization.states_right_to_revoke:
        problems.append(MISSING_REVOKE_STATEMENT)
    if not authorization.states_conditioning:
        problems.append(MISSING_CONDITIONING_STATEMENT)
    if not authorization.states_redisclosure:
        problems.append(MISSING_REDISCLOSURE_STATEMENT)
    if authorization.expires_on is not None and authorization.expires_on < today:
        problems.append(EXPIRED.format(when=authorization.expires_on))
    if authorization.revoked_on is not None and authorization.revoked_on <= today:
        problems.append(REVOKED.format(when=authorization.revoked_on))
    return problems


def is_right_of_access(request: ReleaseRequest) -> bool:
    """The patient (or their personal representative) asking for their own record (164.524)."""
    return request.requester_type in (RequesterType.PATIENT, RequesterType.PERSONAL_REPRESENTATIVE) and (
        request.purpose in (Purpose.ACCESS, Purpose.PERSONAL)
    )


def needs_authorization(request: ReleaseRequest) -> bool:
    """Treatment, payment and operations, the right of access, court orders and disclosures required
    by law go without an authorization; everything else needs one."""
    if request.purpose in (Purpose.TREATMENT, Purpose.PAYMENT, Purpose.OPERATIONS):
        return False
    if is_right_of_access(request):
        return False
    if request.requester_type == RequesterType.COURT:
        return False
    return not (
        request.requester_type == RequesterType.AGENCY
        and request.purpose in (Purpose.PUBLIC_HEALTH, Purpose.LAW_ENFORCEMENT, Purpose.OVERSIGHT)
    )


def named_categories(request: ReleaseRequest, authorization: Any = None) -> set[str]:
    """The sensitive categories the request's authorization (or the one about to be attached) names."""
    authorization = authorization or request.authorization
    if authorization is None:
        return set()
    return {category for category in authorization.sensitive_categories if category in SensitiveCategory.values}
