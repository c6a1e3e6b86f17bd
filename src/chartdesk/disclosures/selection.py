"""Which documents a release holds, and why each one is in or out (minimum necessary, sensitive records).

`decide_documents` is the one place these rules live: the desk shows its reasons to the specialist,
and the packet builder includes exactly the documents it marks included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from chartdesk.charts.models import Document, DocumentStatus, DocumentType
from chartdesk.disclosures.authorizations import is_right_of_access, named_categories, needs_authorization
from chartdesk.disclosures.models import (
    Authorization,
    DocumentSensitivity,
    Purpose,
    ReleaseRequest,
    RequesterType,
    SensitiveCategory,
)
from chartdesk.disclosures.restrictions import blocked_encounter_ids

PART2_NOTICE = (
    "42 CFR part 2 prohibits unauthorized use or disclosure of these records. This information has been "
    "disclosed to you from records protected by Federal confidentiality rules (42 CFR part 2). The Federal "
    "rules prohibit you from making any further disclosure of information in this record that identifies a "
    "patient as having or having had a substance use disorder either directly, by reference to publicly "
    "available information, or through verification of such identification by another person unless further "
    "disclosure is expressly permitted by the written consent of the individual whose information is being "
    "disclosed or as otherwise permitted by 42 CFR part 2. A general authorization for the release of medical "
    "or other information is NOT sufficient for this purpose (see 42 CFR 2.31). The Federal rules restrict any "
    "use of the information to investigate or prosecute with regard to a crime any patient with a substance "
    "use disorder, except as provided at 42 CFR 2.12(c)(5) and 2.65."
)
MINIMUM_NECESSARY_UNBOUNDED = (
    "Minimum necessary applies to {purpose}: limit the request by dates, document types or encounters to what "
    "the purpose needs before releasing."
)


@dataclass
class DocumentDecision:
    document: Document
    included: bool
    reasons: list[str]
    categories: list[str] = field(default_factory=list)

    @property
    def part2(self) -> bool:
        return SensitiveCategory.SUBSTANCE_USE in self.categories


@dataclass
class Selection:
    decisions: list[DocumentDecision]
    problems: list[str]

    @property
    def included(self) -> list[Document]:
        return [decision.document for decision in self.decisions if decision.included]

    @property
    def part2_notice_required(self) -> bool:
        return any(decision.included and decision.part2 for decision in self.decisions)


def minimum_necessary_applies(request: ReleaseRequest) -> bool:
    """164.502(b): not for treatment, the patient's own access, or an authorization (which sets its own scope)."""
    if request.purpose == Purpose.TREATMENT or is_right_of_access(request):
        return False
    return not needs_authorization(request)


def to_health_plan(request: ReleaseRequest) -> bool:
    return request.requester_type == RequesterType.PAYER or request.purpose == Purpose.PAYMENT


def active_labels(document_ids: list[int]) -> dict[int, list[str]]:
    labels: dict[int, list[str]] = {}
    rows = DocumentSensitivity.objects.filter(document_id__in=document_ids, removed_at__isnull=True)
    for document_id, category in rows.values_list("document_id", "category"):
        labels.setdefault(document_id, []).append(category)
    return labels


def _scope_reason(request: ReleaseRequest, document: Document, encounter_ids: set[int]) -> str:
    if request.date_from and document.service_date < request.date_from:
        return f"Outside the requested dates (service date {document.service_date:%Y-%m-%d})."
    if request.date_to and document.service_date > request.date_to:
        return f"Outside the requested dates (service date {document.service_date:%Y-%m-%d})."
    if request.document_types and document.document_type not in request.document_types:
        return f"Not a requested document type ({document.get_document_type_display()})."
    if encounter_ids and document.encounter_id not in encounter_ids:
        return "Not from a requested encounter."
    return ""


def _category_reason(request: ReleaseRequest, category: str, named: set[str]) -> tuple[bool, str]:
    label = SensitiveCategory(category).label
    # The specialist's own choice (decisions.py) wins: what they hold back stays out even where allowed.
    if category in (getattr(request, "withheld_categories", None) or []):
        return False, f"{label}: withheld from this release by the specialist (minimum necessary, 164.502(b))."
    if category in named:
        return True, f"{label}: named by the authorization."
    if is_right_of_access(request):
        if category == SensitiveCategory.PSYCHOTHERAPY_NOTES:
            return False, f"{label} are not part of the right of access (164.524(a)(1)(i))."
        return True, f"{label}: the patient's own record."
    return False, f"{label}: released only when the authorization names this category."


def decide_documents(request: ReleaseRequest, *, today: date | None = None,
                     authorization: Authorization | None = None) -> Selection:
    """Every document in the patient's chart, each marked in or out with the reasons; `authorization`
    stands in for the request's own when checking one before it is attached."""
    problems = []
    encounter_ids = set(request.encounters.values_list("pk", flat=True))
    if minimum_necessary_applies(request) and not (
        request.date_from or request.date_to or request.document_types or encounter_ids
    ):
        problems.append(MINIMUM_NECESSARY_UNBOUNDED.format(purpose=request.get_purpose_display().lower()))
    documents = list(
        Document.objects.filter(patient_id=request.patient_id).select_related("current_version", "encounter")
        .order_by("service_date", "id")
    )
    labels = active_labels([document.pk for document in documents])
    named = named_categories(request, authorization)
    blocked = blocked_encounter_ids(request.patient) if to_health_plan(request) else set()
    decisions = []
    for document in documents:
        categories = sorted(labels.get(document.pk, []))
        if document.status == DocumentStatus.ENTERED_IN_ERROR:
            decisions.append(DocumentDecision(document, False, ["Entered in error."], categories))
            continue
        if document.status == DocumentStatus.PRELIMINARY:
            decisions.append(DocumentDecision(document, False, ["Not signed yet."], categories))
            continue
        out_of_scope = _scope_reason(request, document, encounter_ids)
        if out_of_scope:
            decisions.append(DocumentDecision(document, False, [out_of_scope], categories))
            continue
        if document.encounter_id in blocked:
            decisions.append(DocumentDecision(document, False, [
                "The patient paid for this encounter in full and restricted disclosure to the health plan "
                "(164.522(a)(1)(vi))."
            ], categories))
            continue
        reasons = [f"Requested: {DocumentType(document.document_type).label} of {document.service_date:%Y-%m-%d}."]
        included = True
        for category in categories:
            allowed, why = _category_reason(request, category, named)
            reasons.append(why)
            included = included and allowed
        decisions.append(DocumentDecision(document, included, reasons, categories))
    return Selection(decisions, problems)
