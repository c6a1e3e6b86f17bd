"""Claim and ExplanationOfBenefit: billing's professional claims and the remittances posted to them.

Both are read only through billing's access functions: a claim by `access_claim_by_id`, a chart's
claims by `access_patient_account_by_id` (billing.work_claims and the chart's restriction, audited),
so a role without billing rights reaches nothing and a patient-scoped token only its patient's
claims. A Claim's versionId counts its change events in the audit trail, as an Encounter's does; an
ExplanationOfBenefit is one posted claim payment, never changed, so always version 1.
"""

from __future__ import annotations

from abc import abstractmethod
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from chartdesk.billing.access import WORK, access_claim_by_id, access_patient_account_by_id, may_open
from chartdesk.billing.models import BillingOrganisation, Claim, ClaimPayment, ClaimStatus
from chartdesk.core.errors import NotFound
from chartdesk.interop.fhir.chart_resources import events_version
from chartdesk.interop.fhir.common import (
    CODE_SYSTEM_URIS,
    NPI_SYSTEM,
    Adapter,
    SearchError,
    codeable,
    date_condition,
    instant,
    local_id,
    meta,
    one_of,
    pruned,
    reference,
    reference_id,
    token_parts,
)
from chartdesk.interop.registry import register
from chartdesk.patients.models import Patient

CLAIM_NUMBER_SYSTEM = "urn:chartdesk:claim-control-number"  # CLM01, echoed back in 835 CLP01
PAYER_CLAIM_NUMBER_SYSTEM = "urn:chartdesk:payer-claim-number"  # CLP07, the payer's own number
CLAIM_STATUS_SYSTEM = "urn:chartdesk:claim-status"  # the billing workflow status, finer than FHIR's
PAYER_ID_SYSTEM = "urn:chartdesk:payer-id"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
PRIORITY = "http://terminology.hl7.org/CodeSystem/processpriority"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
CHARTDESK_ADJUDICATION = "urn:chartdesk:adjudication"
RELATED_CLAIM = "http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship"
PLACE_OF_SERVICE = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
ADJUSTMENT_GROUP = "https://x12.org/codes/claim-adjustment-group-codes"
ADJUSTMENT_REASON = "https://x12.org/codes/claim-adjustment-reason-codes"
# Before sending a claim is a draft in FHIR's terms; from then on it is active (its own status says more).
DRAFT_STATUSES = (ClaimStatus.DRAFT, ClaimStatus.SCRUBBED, ClaimStatus.READY)
CLAIM_STATUS_CODES = ("active", "cancelled", "draft", "entered-in-error")
CLP02 = {"1": "Processed as primary", "2": "Processed as secondary", "3": "Processed as tertiary", "4": "Denied",
         "19": "Processed as primary, forwarded", "20": "Processed as secondary, forwarded",
         "21": "Processed as tertiary, forwarded", "22": "Reversal of previous payment",
         "23": "Not our claim, forwarded"}


def money(amount: Decimal) -> dict[str, Any]:
    return {"value": float(amount), "currency": "USD"}


def icd10_with_dot(code: str) -> str:
    """Claims keep ICD-10-CM codes without the dot (as X12 sends them); FHIR writes it."""
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 and "." not in code else code


def _billing_provider(claim: Claim) -> dict[str, Any]:
    organisation = BillingOrganisation.objects.order_by("id").first()
    if organisation is not None:
        return {"identifier": {"system": NPI_SYSTEM, "value": organisation.npi}, "display": organisation.name}
    line = next((line for line in claim.lines.all() if line.rendering_provider_id), None)
    if line is not None:
        return reference("Practitioner", line.rendering_provider_id)
    return {"display": "billing provider not set up"}


def claim_to_fhir(claim: Claim) -> dict[str, Any]:
    lines = [line for line in claim.lines.all() if not line.superseded]
    dates = sorted(line.service_date for line in lines)
    resource_meta = meta(events_version("claim", claim.pk), None)
    resource_meta["tag"] = [{"system": CLAIM_STATUS_SYSTEM, "code": claim.status,
                             "display": claim.get_status_display()}]
    return pruned({
        "resourceType": "Claim",
        "id": str(claim.pk),
        "meta": resource_meta,
        "identifier": [{"system": CLAIM_NUMBER_SYSTEM, "value": claim.claim_number}],
        "status": "draft" if claim.status in DRAFT_STATUSES else "active",
        "type": codeable(CLAIM_TYPE, "professional", "Professional"),
        "use": "claim",
        "patient": reference("Patient", claim.patient_id),
        "billablePeriod": {"start": dates[0].isoformat(), "end": dates[-1].isoformat()} if dates else None,
        "created": instant(claim.created_at),
        "insurer": {"identifier": {"system": PAYER_ID_SYSTEM, "value": claim.payer.payer_id},
                    "display": claim.payer.name},
        "provider": _billing_provider(claim),
        "priority": codeable(PRIORITY, "normal"),
        "related": [{"claim": reference("Claim", claim.primary_claim_id),
                     "relationship": codeable(RELATED_CLAIM, "prior")}] if claim.primary_claim_id else [],
        "diagnosis": [{"sequence": number, "diagnosisCodeableConcept": codeable(CODE_SYSTEM_URIS["icd10cm"],
                                                                                 icd10_with_dot(code))}
                      for number, code in enumerate(claim.diagnoses, start=1)],
        "insurance": [{"sequence": 1, "focal": True,
                       "identifier": {"system": PAYER_ID_SYSTEM + ":member", "value": claim.coverage.member_id},
                       "coverage": {"display": f"{claim.payer.name} ({claim.get_rank_display().lower()}), "
                                               f"member {claim.coverage.member_id}"}}],
        "item": [{
            "sequence": line.line_number,
            "diagnosisSequence": [int(pointer) for pointer in line.diagnosis_pointers],
            "productOrService": codeable(CODE_SYSTEM_URIS["hcpcs" if line.code[:1].isalpha() else "cpt"], line.code),
            "modifier": [{"coding": [{"system": CODE_SYSTEM_URIS["cpt"], "code": modifier}]}
                         for modifier in line.modifiers],
            "servicedDate": line.service_date.isoformat(),
            "locationCodeableConcept": codeable(PLACE_OF_SERVICE, line.place_of_service),
            "quantity": {"value": float(line.units)},
            "net": money(line.amount),
            "encounter": [reference("Encounter", claim.encounter_id)],
        } for line in lines],
        "total": money(claim.total_charge),
    })


def _numbers(raw: str) -> list[str]:
    """Claim numbers of an identifier search value (`system|value` or `value`)."""
    found = []
    for value in one_of([raw]):
        system, number = token_parts(value)
        if system not in (None, "", CLAIM_NUMBER_SYSTEM, PAYER_CLAIM_NUMBER_SYSTEM):
            raise SearchError("identifier", f"identifier: {system!r} is not a claim number system "
                                            f"({CLAIM_NUMBER_SYSTEM}).")
        found.append(number.strip())
    return found


class BillingAdapter(Adapter):
    """Shared by Claim and ExplanationOfBenefit: a chart's billing records, opened as billing does."""

    needs_patient = True
    include_patient = True
    searchable_without_patient = ("identifier",)
    what: str

    @abstractmethod
    def _chart_rows(self, patient: Patient) -> QuerySet[Any]:
        """Every row of this type in the chart (Claim: its claims; ExplanationOfBenefit: its payments)."""

    def _open_chart(self, caller: Any, patient: Patient) -> QuerySet[Any]:
        """The rows of a chart whose billing account the caller opens (audited), or NotFound."""
        try:
            access_patient_account_by_id(caller.user, patient.pk)
        except NotFound:
            raise NotFound(self.what) from None
        return self._chart_rows(patient)

    def _by_number(self, caller: Any, found: QuerySet[Any], patient_field: str) -> QuerySet[Any]:
        """An identifier search across charts: only the charts whose accounts the caller may open."""
        if not caller.user.has_perm(WORK):
            raise NotFound(self.what)
        allowed = []
        for patient_id in sorted(set(found.values_list(patient_field, flat=True))):
            try:
                allowed.append(access_patient_account_by_id(caller.user, patient_id).pk)
            except NotFound:
                continue
        return found.filter(**{f"{patient_field}__in": allowed})

    def rows_for_patient(self, caller: Any, patient: Patient) -> QuerySet[Any]:
        # The chart is already open (through patients.access); a role without billing rights gets none.
        if not caller.user.has_perm(WORK) or not may_open(caller.user, patient):
            return self._chart_rows(patient).none()
        return self._chart_rows(patient).order_by("pk")


@register
class ClaimAdapter(BillingAdapter):
    resource_type = "Claim"
    search_params = {"patient": "reference", "status": "token", "created": "date", "identifier": "token"}
    what = "claim"

    def read(self, caller: Any, logical_id: str) -> Claim:
        return access_claim_by_id(caller.user, local_id(logical_id, "claim"))

    def to_fhir(self, row: Claim) -> dict[str, Any]:
        return claim_to_fhir(row)

    def version_of(self, row: Claim) -> str:
        return events_version("claim", row.pk)

    def prefetch(self, rows: QuerySet[Claim]) -> QuerySet[Claim]:
        return rows.select_related("payer", "coverage").prefetch_related("lines")

    def _chart_rows(self, patient: Patient) -> QuerySet[Any]:
        return Claim.objects.filter(patient=patient)

    def search(self, caller: Any, params: dict[str, list[str]], patient: Any) -> QuerySet[Any]:
        if patient is not None:
            found = self._open_chart(caller, patient)
        else:
            numbers = [number for raw in params.get("identifier", []) for number in _numbers(raw)]
            found = self._by_number(caller, Claim.objects.filter(claim_number__in=numbers), "patient_id")
        for raw in params.get("identifier", []):
            found = found.filter(claim_number__in=_numbers(raw))
        for raw in params.get("status", []):
            condition = Q()
            for value in one_of([raw]):
                system, code = token_parts(value)
                if system == CLAIM_STATUS_SYSTEM and code in ClaimStatus.values:
                    condition |= Q(status=code)
                elif system in (None, "", "http://hl7.org/fhir/fm-status") and code in CLAIM_STATUS_CODES:
                    condition |= (Q(status__in=DRAFT_STATUSES) if code == "draft" else
                                  ~Q(status__in=DRAFT_STATUSES) if code == "active" else Q(pk__in=[]))
                else:
                    raise SearchError("status", f"status: {value!r} is not one of {', '.join(CLAIM_STATUS_CODES)} "
                                                f"(or {CLAIM_STATUS_SYSTEM}|<billing status>).")
            found = found.filter(condition)
        for raw in params.get("created", []):
            found = found.filter(date_condition("created_at", raw, "created"))
        return found.order_by("created_at", "pk")


def explanation_to_fhir(payment: ClaimPayment) -> dict[str, Any]:
    claim = payment.claim
    remittance = payment.remittance
    total = [
        {"category": codeable(ADJUDICATION, "submitted", "Submitted Amount"), "amount": money(payment.charge_amount)},
        {"category": codeable(ADJUDICATION, "benefit", "Benefit Amount"), "amount": money(payment.paid_amount)},
        {"category": codeable(CHARTDESK_ADJUDICATION, "patient-responsibility", "Patient responsibility"),
         "amount": money(payment.patient_responsibility)},
    ]
    return pruned({
        "resourceType": "ExplanationOfBenefit",
        "id": str(payment.pk),
        "meta": meta("1", remittance.imported_at),
        "identifier": [{"system": PAYER_CLAIM_NUMBER_SYSTEM, "value": payment.payer_claim_number},
                       {"system": CLAIM_NUMBER_SYSTEM, "value": claim.claim_number}],
        "status": "active",
        "type": codeable(CLAIM_TYPE, "professional", "Professional"),
        "use": "claim",
        "patient": reference("Patient", claim.patient_id),
        "created": instant(remittance.imported_at),
        "insurer": {"identifier": {"system": PAYER_ID_SYSTEM, "value": remittance.payer_identifier},
                    "display": remittance.payer_name},
        "provider": _billing_provider(claim),
        "claim": reference("Claim", claim.pk, claim.claim_number),
        "outcome": "complete",
        "disposition": CLP02.get(payment.status_code, f"Claim status code {payment.status_code}"),
        "insurance": [{"focal": True, "coverage": {"display": f"{claim.payer.name}, member "
                                                                f"{claim.coverage.member_id}"}}],
        "adjudication": [{"category": codeable(ADJUSTMENT_GROUP, group), "reason": codeable(ADJUSTMENT_REASON, reason),
                          "amount": money(Decimal(amount))} for group, reason, amount in payment.adjustments],
        "total": total,
        "payment": {"amount": money(payment.paid_amount),
                    "date": remittance.payment_date.isoformat() if remittance.payment_date else None,
                    "identifier": {"system": "urn:chartdesk:remittance-trace", "value": remittance.trace_number}},
    })


@register
class ExplanationOfBenefitAdapter(BillingAdapter):
    resource_type = "ExplanationOfBenefit"
    search_params = {"patient": "reference", "status": "token", "created": "date", "_lastUpdated": "date",
                     "identifier": "token", "claim": "reference"}
    what = "explanation of benefit"

    def read(self, caller: Any, logical_id: str) -> ClaimPayment:
        key = local_id(logical_id, self.what)
        claim_id = ClaimPayment.objects.filter(pk=key).values_list("claim_id", flat=True).first()
        if claim_id is None:
            raise NotFound(self.what)
        try:
            claim = access_claim_by_id(caller.user, claim_id)
        except NotFound:
            raise NotFound(self.what) from None
        return self.prefetch(ClaimPayment.objects.filter(pk=key, claim=claim)).get()

    def to_fhir(self, row: ClaimPayment) -> dict[str, Any]:
        return explanation_to_fhir(row)

    def version_of(self, row: ClaimPayment) -> str:
        return "1"

    def patient_id_of(self, row: ClaimPayment) -> int:
        return int(row.claim.patient_id)

    def prefetch(self, rows: QuerySet[ClaimPayment]) -> QuerySet[ClaimPayment]:
        return rows.select_related("claim", "claim__payer", "claim__coverage", "remittance")

    def _chart_rows(self, patient: Patient) -> QuerySet[Any]:
        return self.prefetch(ClaimPayment.objects.filter(claim__patient=patient))

    def search(self, caller: Any, params: dict[str, list[str]], patient: Any) -> QuerySet[Any]:
        if patient is not None:
            found = self._open_chart(caller, patient)
        else:
            numbers = [number for raw in params.get("identifier", []) for number in _numbers(raw)]
            found = self._by_number(caller, self._numbered(ClaimPayment.objects.all(), numbers), "claim__patient_id")
        for raw in params.get("identifier", []):
            found = self._numbered(found, _numbers(raw))
        for raw in params.get("claim", []):
            found = found.filter(claim_id=reference_id(raw, "Claim", "claim"))
        for raw in params.get("status", []):
            if "active" not in [token_parts(value)[1] for value in one_of([raw])]:
                found = found.none()  # a posted payment is never cancelled, drafted or retracted
        for parameter in ("created", "_lastUpdated"):  # a posted payment never changes: both are its posting
            for raw in params.get(parameter, []):
                found = found.filter(date_condition("remittance__imported_at", raw, parameter))
        return self.prefetch(found).order_by("remittance__imported_at", "pk")

    @staticmethod
    def _numbered(found: QuerySet[ClaimPayment], numbers: list[str]) -> QuerySet[ClaimPayment]:
        return found.filter(Q(claim__claim_number__in=numbers) | Q(payer_claim_number__in=numbers))
