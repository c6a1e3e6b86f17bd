"""Every write of the coding workflow: starting, coding, queries, completing, review, suggestions.

Each action checks the permission and the chart's restriction, runs in one transaction with the
case row locked (two coders must not both start or complete one encounter), and writes its audit
event in that transaction. Who may change the code list depends on the case's status: the assigned
coder while it is in progress or on hold, a reviewer while it is in review.

Every change raises the case's revision. The coding screen posts the revision it showed
(`expected_revision`); under the row lock a different one means the screen is stale (another coder,
or the same coder in another tab, changed the case since), and the change is refused with
ConcurrentChange ("changed by X at T, reload") before anything is written.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.actions import provider_of
from chartdesk.charts.models import DocumentStatus, Encounter, EncounterClass, EncounterStatus, Provider
from chartdesk.coding.edits.validator import Severity
from chartdesk.coding.models import CodeSystem
from chartdesk.coding.workflow import assist
from chartdesk.coding.workflow import codes as code_checks
from chartdesk.coding.workflow import drg as working_drg
from chartdesk.coding.workflow.models import (
    AdmissionSource,
    AdmissionType,
    CaseStatus,
    CodedDiagnosis,
    CodedProcedure,
    CodingCase,
    PhysicianQuery,
    PresentOnAdmission,
    ProcedureSystem,
    QueryStatus,
    SuggestionDecision,
)
from chartdesk.coding.workflow.query_templates import OTHER, TEMPLATES_BY_SLUG
from chartdesk.coding.workflow.review import record_review_changes, snapshot
from chartdesk.core import clock
from chartdesk.core.errors import ChartdeskError, ConcurrentChange, PermissionRefused
from chartdesk.core.locking import lock_row
from chartdesk.core.permissions import require_permission
from chartdesk.patients.access import refuse_change_to_closed_chart
from chartdesk.patients.models import Patient

CODE = "coding_workflow.code_encounters"
ASSIGN = "coding_workflow.assign_coding"
REVIEW = "coding_workflow.review_coding"
ANSWER = "coding_workflow.answer_coding_queries"

NOT_FINISHED = (
    "This encounter is not finished yet: it becomes codable once the visit is closed or the patient discharged."
)
ASSIGNED_TO_OTHER = "This encounter is assigned to {coder}; ask the HIM manager to reassign it."
NOT_A_CODER = "{user} does not hold the coder permission."
NOT_EDITABLE = "This encounter is {status}; its codes cannot change now."
POA_REQUIRED = "Give the present-on-admission indicator for {code} (inpatient diagnosis)."
POA_EXEMPT = "{code} is exempt from POA reporting; choose 'Exempt'."
POA_NOT_EXEMPT = "{code} is not on the POA-exempt list; choose Y, N, U or W."
POA_OUTPATIENT = "Present-on-admission indicators belong to inpatient diagnoses only."
POA_UNKNOWN = "Choose the POA indicator Y, N, U, W or Exempt."
DUPLICATE_DIAGNOSIS = "{code} is already on this encounter."
PCS_INPATIENT_ONLY = "ICD-10-PCS procedure codes are for inpatient stays; use CPT or HCPCS for this encounter."
CPT_NOT_INPATIENT = "Inpatient facility procedures are coded in ICD-10-PCS."
SYSTEM_UNKNOWN = "Choose the procedure code system: ICD-10-PCS, CPT or HCPCS."
UNITS_INVALID = "Units must be a whole number from 1 to 999."
DATE_OUTSIDE_STAY = "The procedure date {day} is outside the stay ({start} to {end})."
PROVIDER_REQUIRED = "Choose the provider who performed the procedure."
MODIFIERS_PCS = "ICD-10-PCS codes take no modifiers or units."
TEMPLATE_UNKNOWN = "Choose a query template from the list."
PROVIDER_NOT_ON_CASE = "Queries go to a provider on this encounter's care team or who wrote one of its documents."
INDICATORS_REQUIRED = "Quote at least one clinical indicator from the record, one a line."
INDICATOR_NOT_QUOTED = "Indicator line {line} is not quoted from this encounter's documents: \u201c{text}\u201d."
QUERY_ANSWERED = "This query was already answered."
QUERY_NOT_YOURS = "Only {provider}, to whom the query was sent, can answer it."
ANSWER_UNKNOWN = "Choose one of the answers offered."
OTHER_NEEDS_DETAIL = "You chose 'Other': write the answer in your own words."
OPEN_QUERIES = "A physician query is still open; complete the coding when it is answered."
NO_DIAGNOSIS = "Code at least one diagnosis before completing."
MISSING_POA = "Give the POA indicator of every inpatient diagnosis before completing ({codes})."
NOT_CODED = "Only a coded encounter can go to review."
NOT_IN_REVIEW = "This encounter is not in review."
DECISION_UNKNOWN = "Choose accept, edit or reject."
EDIT_NEEDS_CODE = "Give the code you chose instead of the suggestion."
EDIT_SAME_CODE = "The code you chose is the suggested one: accept the suggestion instead."
SUGGESTION_GONE = "{code} is not among this encounter's open suggestions any more; reload the page."
SUGGESTION_SYSTEM = "Suggestions are ICD-10-CM diagnoses or ICD-10-PCS procedures."
STALE = ("This encounter's coding was changed by {who} at {when}, after your screen was loaded; nothing was saved. "
         "Reload the page to see that change, then make yours again.")
STALE_UNKNOWN = "This coding screen is out of date; nothing was saved. Reload the page, then make your change again."
EDITS_FAILED = "Resolve the coding edits before completing: {messages}"
RELEASE_IN_EFFECT = "A {system} release covers {day}: codes are checked against it, not the nearest."
NO_RELEASE_LOADED = "No {system} release is loaded at all: load one first."
ABSTRACT_INPATIENT_ONLY = "Admission type, point of origin and birth weight belong to inpatient stays."
ADMISSION_TYPE_UNKNOWN = "Admission type: choose one of the UB-04 types from the list."
ADMISSION_SOURCE_UNKNOWN = "Point of origin: choose one of the UB-04 codes from the list."
DISCHARGE_STATUS_UNKNOWN = "Discharge status: choose one of the UB-04 discharge status codes from the list."
BIRTH_WEIGHT_INVALID = "Birth weight: give whole grams from 100 to 9999."
BIRTH_WEIGHT_NEWBORN_ONLY = "Birth weight is recorded for newborn admissions (admission type 4) only."
BIRTH_WEIGHT_REQUIRED = "A newborn admission (type 4) needs the birth weight in grams."


# ----------------------------------------------------------------------------- shared checks


def _require_chart(user: Any, patient: Patient) -> None:
    """A restricted chart the user may not open refuses coding work as it refuses reads: as not found."""
    refuse_change_to_closed_chart(user, patient, during="coding")


def _audit(action: str, user: Any, case: CodingCase, object_type: str, object_id: Any, **detail: Any) -> None:
    # Every change is audited, then raises the revision (`_revised`): the event carries the revision
    # it makes, so a screen refused as stale can be shown what changed since the revision it showed.
    made = CodingCase.objects.filter(pk=case.pk).values_list("revision", flat=True).first()
    record_event(action, user=user, patient=case.encounter.patient, object_type=object_type,
                 object_id=object_id, detail={"encounter_id": case.encounter_id,
                                              "case_revision": (made or 0) + 1, **detail})


def _locked(case: CodingCase) -> CodingCase:
    # Row lock: a coder completing while a manager reassigns must not both pass their status checks.
    return lock_row(case, "encounter__patient")


def stale_refusal(case: CodingCase) -> ConcurrentChange:
    """The refusal for a change posted from a screen older than the case: who changed it last, and when."""
    if case.revised_by is None or case.revised_at is None:
        return ConcurrentChange(STALE_UNKNOWN)
    who = case.revised_by.get_full_name() or case.revised_by.username
    when = timezone.localtime(case.revised_at).strftime("%Y-%m-%d %H:%M:%S")
    return ConcurrentChange(STALE.format(who=who, when=when))


def _fresh(case: CodingCase, expected_revision: int | None) -> None:
    # Called on the locked row: nobody can raise the revision between this check and the write.
    if expected_revision is not None and expected_revision != case.revision:
        raise stale_refusal(case)


def refuse_if_stale(case: CodingCase, expected_revision: int | None) -> None:
    """Raise ConcurrentChange if the case moved past `expected_revision`: for a screen naming a code
    line that is gone, the stale screen is the real reason, not the missing line."""
    _fresh(CodingCase.objects.select_related("revised_by").get(pk=case.pk), expected_revision)


def _revised(case: CodingCase, user: Any) -> None:
    """Raise the revision in the same transaction as the change it marks."""
    who = user if getattr(user, "pk", None) is not None else None
    CodingCase.objects.filter(pk=case.pk).update(revision=F("revision") + 1, revised_by=who,
                                                 revised_at=clock.now())
    case.refresh_from_db(fields=["revision", "revised_by", "revised_at"])
    # Every change passes here, so the DRG history cannot miss one (see workflow/drg.py).
    working_drg.record_grouping(case, user)


def service_day(encounter: Encounter) -> date:
    """The date whose code-set release applies: the day of discharge (or of the visit)."""
    moment = encounter.discharge_at or encounter.admit_at
    return timezone.localtime(moment).date()


def code_day(case: CodingCase, system: str) -> date:
    """The day whose release checks the case's codes: the date of service, or a day inside the nearest
    release when the coder chose it because none covers the date of service."""
    return code_checks.lookup_day(system, service_day(case.encounter), nearest=case.use_nearest_release)


def is_inpatient(case: CodingCase) -> bool:
    return case.encounter.encounter_class == EncounterClass.INPATIENT


def _editing_mode(case: CodingCase, user: Any) -> str:
    """'coding' for the assigned coder at work, 'review' for a reviewer; anything else is refused."""
    if case.status in (CaseStatus.IN_PROGRESS, CaseStatus.ON_HOLD):
        require_permission(user, CODE, "code encounters")
        if case.assigned_to_id not in (None, user.pk):
            raise PermissionRefused(ASSIGNED_TO_OTHER.format(coder=case.assigned_to))
        return "coding"
    if case.status == CaseStatus.IN_REVIEW:
        require_permission(user, REVIEW, "review coded encounters")
        return "review"
    raise ChartdeskError(NOT_EDITABLE.format(status=case.get_status_display().lower()))


def _case_for(encounter: Encounter) -> CodingCase:
    # Read the status afresh: the caller's copy may predate the discharge.
    if not Encounter.objects.filter(pk=encounter.pk, status=EncounterStatus.FINISHED).exists():
        raise ChartdeskError(NOT_FINISHED)
    case, _ = CodingCase.objects.get_or_create(encounter=encounter)
    return case


# ----------------------------------------------------------------------------- the queue


def do_assign_case(
    encounter: Encounter, coder: Any, *, acting_user: Any, expected_revision: int | None = None
) -> CodingCase:
    """Assign a finished encounter to a coder (creating its case); a coded case cannot be reassigned."""
    require_permission(acting_user, ASSIGN, "assign coding work")
    _require_chart(acting_user, encounter.patient)
    if coder is None or not coder.has_perm(CODE):
        raise ChartdeskError(NOT_A_CODER.format(user=coder), field="coder")
    with transaction.atomic():
        case = _locked(_case_for(encounter))
        _fresh(case, expected_revision)
        if case.status in (CaseStatus.CODED, CaseStatus.IN_REVIEW):
            raise ChartdeskError(NOT_EDITABLE.format(status=case.get_status_display().lower()))
        previous = case.assigned_to.username if case.assigned_to else ""
        case.assigned_to, case.assigned_at = coder, clock.now()
        case.save(update_fields=["assigned_to", "assigned_at"])
        _audit(AuditAction.UPDATE, acting_user, case, "coding_case", case.pk, change="assign",
               coder=coder.username, previous=previous)
        _revised(case, acting_user)
    return case


def do_start_coding(
    encounter: Encounter, *, acting_user: Any, now: Any = None, expected_revision: int | None = None
) -> CodingCase:
    """Open a finished encounter for coding: its case goes in progress, assigned to the coder if nobody has it."""
    require_permission(acting_user, CODE, "code encounters")
    _require_chart(acting_user, encounter.patient)
    with transaction.atomic():
        case = _locked(_case_for(encounter))
        _fresh(case, expected_revision)
        if case.assigned_to_id not in (None, acting_user.pk):
            raise PermissionRefused(ASSIGNED_TO_OTHER.format(coder=case.assigned_to))
        if case.status != CaseStatus.READY:
            return case
        moment = now or clock.now()
        if case.assigned_to_id is None:
            case.assigned_to, case.assigned_at = acting_user, moment
        case.status, case.started_at = CaseStatus.IN_PROGRESS, moment
        case.save(update_fields=["assigned_to", "assigned_at", "status", "started_at"])
        _audit(AuditAction.UPDATE, acting_user, case, "coding_case", case.pk, change="start")
        _revised(case, acting_user)
    return case


# ----------------------------------------------------------------------------- diagnoses


def _checked_poa(case: CodingCase, checked: code_checks.CheckedCode, poa: str) -> str:
    poa = (poa or "").strip().upper()
    if not is_inpatient(case):
        if poa:
            raise ChartdeskError(POA_OUTPATIENT, field="poa")
        return ""
    if not poa:
        return ""  # may be filled in later; completion insists
    if poa not in PresentOnAdmission.values:
        raise ChartdeskError(POA_UNKNOWN, field="poa")
    if checked.poa_exempt and poa != PresentOnAdmission.EXEMPT:
        raise ChartdeskError(POA_EXEMPT.format(code=checked.display), field="poa")
    if not checked.poa_exempt and poa == PresentOnAdmission.EXEMPT:
        raise ChartdeskError(POA_NOT_EXEMPT.format(code=checked.display), field="poa")
    return poa


def do_add_diagnosis(
    case: CodingCase, code: str, *, poa: str = "", acting_user: Any, expected_revision: int | None = None
) -> CodedDiagnosis:
    """Add an ICD-10-CM code at the end of the list (the first one added is the principal/first-listed)."""
    _require_chart(acting_user, case.encounter.patient)
    with transaction.atomic():
        case = _locked(case)
        _fresh(case, expected_revision)
        _editing_mode(case, acting_user)
        checked = code_checks.check_code(CodeSystem.ICD10CM, code, code_day(case, CodeSystem.ICD10CM))
        if case.diagnoses.filter(code=checked.code).exists():
            raise ChartdeskError(DUPLICATE_DIAGNOSIS.format(code=checked.display), field="code")
        poa = _checked_poa(case, checked, poa)
        position = (case.diagnoses.aggregate(last=Max("position"))["last"] or 0) + 1
        diagnosis = CodedDiagnosis.objects.create(case=case, position=position, code=checked.code, poa=poa,
                                                  added_by=acting_user)
        _audit(AuditAction.CREATE, acting_user, case, "coded_diagnosis", diagnosis.pk, code=checked.code,
               poa=poa, position=position)
        _revised(case, acting_user)
    return diagnosis


def do_change_diagnosis(
    diagnosis: CodedDiagnosis, *, code: str, poa: str = "", acting_user: Any, expected_revision: int | None = None
) -> CodedDiagnosis:
    """Replace a diagnosis code or its POA indicator in place (its sequence stays)."""
    _require_chart(acting_user, diagnosis.case.encounter.patient)
    with transaction.atomic():
        case = _locked(diagnosis.case)
        _fresh(case, expected_revision)
        _editing_mode(case, acting_user)
        checked = code_checks.check_code(CodeSystem.ICD10CM, code, code_day(case, CodeSystem.ICD10CM))
        if case.diagnoses.filter(code=checked.code).exclude(pk=diagnosis.pk).exists():
            raise ChartdeskError(DUPLICATE_DIAGNOSIS.format(code=checked.display), field="code")
        poa = _checked_poa(case, checked, poa)
        before = (diagnosis.code, diagnosis.poa)
        diagnosis.code, diagnosis.poa = checked.code, poa
        diagnosis.save(update_fields=["code", "poa"])
        _audit(AuditAction.UPDATE, acting_user, case, "coded_diagnosis", diagnosis.pk,
               before={"code": before[0], "poa": before[1]}, after={"code": checked.code, "poa": poa})
        _revised(case, acting_user)
    return diagnosis


def _renumber(rows: list[Any]) -> None:
    for number, row in enumerate(rows, start=1):
        if row.position != number:
            row.position = number
            row.save(update_fields=["position"])


def do_remove_diagnosis(
    diagnosis: CodedDiagnosis, *, acting_user: Any, expected_revision: int | None = None
) -> None:
    """Take a diagnosis off the working list; the ones after it move up."""
    _require_chart(acting_user, diagnosis.case.encounter.patient)
    with transaction.atomic():
        case = _locked(diagnosis.case)
        _fresh(case, expected_revision)
        _editing_mode(case, acting_user)
        _audit(AuditAction.UPDATE, acting_user, case, "coding_case", case.pk, change="remove_diagnosis",
               code=diagnosis.code, position=diagnosis.position)
        CodedDiagnosis.objects.filter(pk=diagnosis.pk).delete()
        _renumber(list(case.diagnoses.order_by("position")))
        _revised(case, acting_user)


def do_move_diagnosis(
    diagnosis: CodedDiagnosis, *, to_position: int, acting_user: Any, expected_revision: int | None = None
) -> None:
    """Resequence: put the diagnosis at `to_position` (1 makes it principal / first-listed)."""
    _require_chart(acting_user, diagnosis.case.encounter.patient)
    with transaction.atomic():
        case = _locked(diagnosis.case)
        _fresh(case, expected_revision)
        _editing_mode(case, acting_user)
        rows = [row for row in case.diagnoses.order_by("position") if row.pk != diagnosis.pk]
        target = min(max(int(to_position), 1), len(rows) + 1)
        moving = next(row for row in case.diagnoses.all() if row.pk == diagnosis.pk)
        rows.insert(target - 1, moving)
        _renumber(rows)
        _audit(AuditAction.UPDATE, acting_user, case, "coded_diagnosis", diagnosis.pk, change="sequence",
               code=diagnosis.code, from_position=diagnosis.position, to_position=target)
        _revised(case, acting_user)


# ----------------------------------------------------------------------------- procedures


def do_add_procedure(
    case: CodingCase,
    *,
    system: str,
    code: str,
    performed_on: date | None,
    provider: Provider | None,
    modifiers: str | list[str] = "",
    units: Any = 1,
    acting_user: Any,
    expected_revision: int | None = None,
) -> CodedProcedure:
    """Add a procedure: ICD-10-PCS for inpatient stays; CPT/HCPCS with modifiers and units otherwise."""
    _require_chart(acting_user, case.encounter.patient)
    if system not in ProcedureSystem.values:
        raise ChartdeskError(SYSTEM_UNKNOWN, field="system")
    with transaction.atomic():
        case = _locked(case)
        _fresh(case, expected_revision)
        _editing_mode(case, acting_user)
        encounter = case.encounter
        if system == ProcedureSystem.ICD10PCS and not is_inpatient(case):
            raise ChartdeskError(PCS_INPATIENT_ONLY, field="system")
        if system != ProcedureSystem.ICD10PCS and is_inpatient(case):
            raise ChartdeskError(CPT_NOT_INPATIENT, field="system")
        if performed_on is None:
            raise ChartdeskError("Give the date the procedure was performed.", field="performed_on")
        start, end = timezone.localtime(encounter.admit_at).date(), service_day(encounter)
        if not start <= performed_on <= end:
            raise ChartdeskError(DATE_OUTSIDE_STAY.format(day=performed_on, start=start, end=end),
                                 field="performed_on")
        if provider is None:
            raise ChartdeskError(PROVIDER_REQUIRED, field="provider")
        try:
            units_value = int(units)
        except (TypeError, ValueError):
            raise ChartdeskError(UNITS_INVALID, field="units") from None
        if not 1 <= units_value <= 999:
            raise ChartdeskError(UNITS_INVALID, field="units")
        checked_modifiers = code_checks.check_modifiers(modifiers)
        if system == ProcedureSystem.ICD10PCS and (checked_modifiers or units_value != 1):
            raise ChartdeskError(MODIFIERS_PCS, field="modifiers")
        checked = code_checks.check_code(
            system, code, code_checks.lookup_day(system, performed_on, nearest=case.use_nearest_release))
        position = (case.procedures.aggregate(last=Max("position"))["last"] or 0) + 1
        procedure = CodedProcedure.objects.create(
            case=case, position=position, system=system, code=checked.code, modifiers=checked_modifiers,
            units=units_value, performed_on=performed_on, provider=provider, added_by=acting_user,
        )
        _audit(AuditAction.CREATE, acting_user, case, "coded_procedure", procedure.pk, system=system,
               code=checked.code, modifiers=checked_modifiers, units=units_value,
               performed_on=performed_on.isoformat(), provider_id=provider.pk)
        _revised(case, acting_user)
    return procedure


def do_remove_procedure(
    procedure: CodedProcedure, *, acting_user: Any, expected_revision: int | None = None
) -> None:
    _require_chart(acting_user, procedure.case.encounter.patient)
    with transaction.atomic():
        case = _locked(procedure.case)
        _fresh(case, expected_revision)
        _editing_mode(case, acting_user)
        _audit(AuditAction.UPDATE, acting_user, case, "coding_case", case.pk, change="remove_procedure",
               system=procedure.system, code=procedure.code)
        CodedProcedure.objects.filter(pk=procedure.pk).delete()
        _renumber(list(case.procedures.order_by("position")))
        _revised(case, acting_user)


def do_set_inpatient_abstract(
    case: CodingCase,
    *,
    admission_type: str,
    admission_source: str,
    discharge_status: str,
    birth_weight_grams: Any = None,
    acting_user: Any,
    expected_revision: int | None = None,
) -> CodingCase:
    """Record the UB-04 fields of the inpatient abstract the grouper and the claim read."""
    from chartdesk.charts.models import DischargeDisposition

    _require_chart(acting_user, case.encounter.patient)
    if admission_type not in AdmissionType.values:
        raise ChartdeskError(ADMISSION_TYPE_UNKNOWN, field="admission_type")
    if admission_source not in AdmissionSource.values:
        raise ChartdeskError(ADMISSION_SOURCE_UNKNOWN, field="admission_source")
    if discharge_status not in DischargeDisposition.values:
        raise ChartdeskError(DISCHARGE_STATUS_UNKNOWN, field="discharge_status")
    weight: int | None = None
    if birth_weight_grams not in (None, ""):
        raw = str(birth_weight_grams).strip()
        if not raw.isdecimal() or not 100 <= int(raw) <= 9999:
            raise ChartdeskError(BIRTH_WEIGHT_INVALID, field="birth_weight_grams")
        weight = int(raw)
    if weight is not None and admission_type != AdmissionType.NEWBORN:
        raise ChartdeskError(BIRTH_WEIGHT_NEWBORN_ONLY, field="birth_weight_grams")
    if weight is None and admission_type == AdmissionType.NEWBORN:
        raise ChartdeskError(BIRTH_WEIGHT_REQUIRED, field="birth_weight_grams")
    with transaction.atomic():
        case = _locked(case)
        _fresh(case, expected_revision)
        _editing_mode(case, acting_user)
        if not is_inpatient(case):
            raise ChartdeskError(ABSTRACT_INPATIENT_ONLY)
        before = {"admission_type": case.admission_type, "admission_source": case.admission_source,
                  "discharge_status": case.discharge_status, "birth_weight_grams": case.birth_weight_grams}
        case.admission_type, case.admission_source = admission_type, admission_source
        case.discharge_status, case.birth_weight_grams = discharge_status, weight
        case.save(update_fields=["admission_type", "admission_source", "discharge_status", "birth_weight_grams"])
        _audit(AuditAction.UPDATE, acting_user, case, "coding_case", case.pk, change="inpatient_abstract",
               before=before, after={"admission_type": admission_type, "admission_source": admission_source,
                                     "discharge_status": discharge_status, "birth_weight_grams": weight})
        _revised(case, acting_user)
    return case


def do_use_nearest_release(case: CodingCase, *, acting_user: Any, expected_revision: int | None = None) -> CodingCase:
    """Code this case against the nearest loaded ICD-10-CM release, because none covers its date of
    service; the screen marks its codes as checked against that release."""
    _require_chart(acting_user, case.encounter.patient)
    with transaction.atomic():
        case = _locked(case)
        _fresh(case, expected_revision)
        _editing_mode(case, acting_user)
        day = service_day(case.encounter)
        label = CodeSystem(CodeSystem.ICD10CM).label
        if code_checks.CodeSetRelease.objects.in_effect(CodeSystem.ICD10CM, day) is not None:
            raise ChartdeskError(RELEASE_IN_EFFECT.format(system=label, day=day))
        nearest = code_checks.nearest_release(CodeSystem.ICD10CM, day)
        if nearest is None:
            raise ChartdeskError(NO_RELEASE_LOADED.format(system=label))
        case.use_nearest_release = True
        case.save(update_fields=["use_nearest_release"])
        _audit(AuditAction.UPDATE, acting_user, case, "coding_case", case.pk, change="use_nearest_release",
               release=nearest.label, service_day=day.isoformat())
        _revised(case, acting_user)
    return case


# ----------------------------------------------------------------------------- physician queries


def providers_of(encounter: Encounter) -> list[Provider]:
    """Who may be queried: the care team and the authors of the encounter's documents."""
    team = Provider.objects.filter(encounter_roles__encounter=encounter)
    authors = Provider.objects.filter(documents__encounter=encounter)
    return list((team | authors).distinct().order_by("family_name", "given_name"))


def _squashed(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def encounter_text(encounter: Encounter) -> str:
    """The current text of the encounter's documents (not those entered in error), for quoting checks."""
    documents = encounter.documents.exclude(status=DocumentStatus.ENTERED_IN_ERROR).select_related("current_version")
    return "\n".join(document.current_version.text for document in documents if document.current_version)


def _quoted_indicators(encounter: Encounter, indicators: str) -> list[str]:
    lines = [(number, line.strip()) for number, line in enumerate((indicators or "").splitlines(), start=1)]
    lines = [(number, line) for number, line in lines if line]
    if not lines:
        raise ChartdeskError(INDICATORS_REQUIRED, field="indicators")
    record = _squashed(encounter_text(encounter))
    for number, line in lines:
        quote = line.strip("\"\u201c\u201d ")
        if _squashed(quote) not in record:
            raise ChartdeskError(INDICATOR_NOT_QUOTED.format(line=number, text=line[:80]), field="indicators")
    return [line.strip("\"\u201c\u201d ") for _, line in lines]


def do_send_query(
    case: CodingCase,
    *,
    provider: Provider | None,
    template: str,
    indicators: str,
    acting_user: Any,
    expected_revision: int | None = None,
) -> PhysicianQuery:
    """Put the case on hold and send the provider a query from a non-leading template.

    The clinical indicators must be quoted from the encounter's own documents, one a line.
    """
    require_permission(acting_user, CODE, "send physician queries")
    _require_chart(acting_user, case.encounter.patient)
    chosen = TEMPLATES_BY_SLUG.get(template)
    if chosen is None:
        raise ChartdeskError(TEMPLATE_UNKNOWN, field="template")
    with transaction.atomic():
        case = _locked(case)
        _fresh(case, expected_revision)
        if _editing_mode(case, acting_user) != "coding":
            raise ChartdeskError(NOT_EDITABLE.format(status=case.get_status_display().lower()))
        if provider is None or provider not in providers_of(case.encounter):
            raise ChartdeskError(PROVIDER_NOT_ON_CASE, field="provider")
        quoted = _quoted_indicators(case.encounter, indicators)
        query = PhysicianQuery.objects.create(
            case=case, provider=provider, template=chosen.slug, question=chosen.question, indicators=quoted,
            options=chosen.options, asked_by=acting_user,
        )
        if case.status != CaseStatus.ON_HOLD:
            case.status, case.hold_since = CaseStatus.ON_HOLD, query.asked_at
            case.save(update_fields=["status", "hold_since"])
        _audit(AuditAction.CREATE, acting_user, case, "physician_query", query.pk, template=chosen.slug,
               provider_id=provider.pk)
        _revised(case, acting_user)
    return query


def do_answer_query(query: PhysicianQuery, *, answer: str, detail: str = "", acting_user: Any) -> PhysicianQuery:
    """The queried provider answers; when no other query is open the case leaves hold."""
    require_permission(acting_user, ANSWER, "answer coding queries")
    case = query.case
    _require_chart(acting_user, case.encounter.patient)
    if provider_of(acting_user) != query.provider:
        raise PermissionRefused(QUERY_NOT_YOURS.format(provider=query.provider))
    detail = (detail or "").strip()
    with transaction.atomic():
        locked_case = _locked(case)
        query = PhysicianQuery.objects.select_for_update().get(pk=query.pk)
        if query.status != QueryStatus.OPEN:
            raise ChartdeskError(QUERY_ANSWERED)
        if answer not in query.options:
            raise ChartdeskError(ANSWER_UNKNOWN, field="answer")
        if answer == OTHER and not detail:
            raise ChartdeskError(OTHER_NEEDS_DETAIL, field="detail")
        now = clock.now()
        query.status, query.answer, query.answer_detail = QueryStatus.ANSWERED, answer, detail
        query.answered_by, query.answered_at = acting_user, now
        query.save(update_fields=["status", "answer", "answer_detail", "answered_by", "answered_at"])
        still_open = locked_case.queries.filter(status=QueryStatus.OPEN).exists()
        if not still_open and locked_case.status == CaseStatus.ON_HOLD:
            waited = int((now - locked_case.hold_since).total_seconds()) if locked_case.hold_since else 0
            locked_case.status, locked_case.hold_since = CaseStatus.IN_PROGRESS, None
            locked_case.hold_seconds += max(waited, 0)
            locked_case.save(update_fields=["status", "hold_since", "hold_seconds"])
        _audit(AuditAction.UPDATE, acting_user, locked_case, "physician_query", query.pk, change="answer",
               answer=answer)
        _revised(locked_case, acting_user)
    return query


# ----------------------------------------------------------------------------- completing and review


def do_complete_coding(case: CodingCase, *, acting_user: Any, expected_revision: int | None = None) -> CodingCase:
    """Mark the encounter coded and ready for billing (no open query, POA on every inpatient diagnosis)."""
    _require_chart(acting_user, case.encounter.patient)
    with transaction.atomic():
        case = _locked(case)
        _fresh(case, expected_revision)
        if _editing_mode(case, acting_user) != "coding":
            raise ChartdeskError(NOT_EDITABLE.format(status=case.get_status_display().lower()))
        if case.queries.filter(status=QueryStatus.OPEN).exists():
            raise ChartdeskError(OPEN_QUERIES)
        diagnoses = list(case.diagnoses.order_by("position"))
        if not diagnoses:
            raise ChartdeskError(NO_DIAGNOSIS)
        if is_inpatient(case):
            missing = [code_checks.dotted(CodeSystem.ICD10CM, row.code) for row in diagnoses if not row.poa]
            if missing:
                raise ChartdeskError(MISSING_POA.format(codes=", ".join(missing)))
        errors = [finding.message for finding in assist.validation_report(case).findings
                  if finding.severity == Severity.ERROR]
        if errors:
            raise ChartdeskError(EDITS_FAILED.format(messages=" ".join(errors)))
        case.status, case.coded_at, case.coded_by = CaseStatus.CODED, clock.now(), acting_user
        case.codes_submitted = len(diagnoses) + case.procedures.count()
        case.save(update_fields=["status", "coded_at", "coded_by", "codes_submitted"])
        _audit(AuditAction.UPDATE, acting_user, case, "coding_case", case.pk, change="complete",
               codes=case.codes_submitted)
        _revised(case, acting_user)
    return case


def do_start_review(case: CodingCase, *, acting_user: Any, expected_revision: int | None = None) -> CodingCase:
    """Take a coded encounter into second-level review (it leaves the billing-ready list meanwhile)."""
    require_permission(acting_user, REVIEW, "review coded encounters")
    _require_chart(acting_user, case.encounter.patient)
    with transaction.atomic():
        case = _locked(case)
        _fresh(case, expected_revision)
        if case.status != CaseStatus.CODED:
            raise ChartdeskError(NOT_CODED)
        case.status, case.review_baseline = CaseStatus.IN_REVIEW, snapshot(case)
        case.save(update_fields=["status", "review_baseline"])
        _audit(AuditAction.UPDATE, acting_user, case, "coding_case", case.pk, change="start_review")
        _revised(case, acting_user)
    return case


def do_finish_review(case: CodingCase, *, acting_user: Any, expected_revision: int | None = None) -> CodingCase:
    """Close the review: every difference from the coder's codes is kept as a ReviewChange (before/after)."""
    require_permission(acting_user, REVIEW, "review coded encounters")
    _require_chart(acting_user, case.encounter.patient)
    with transaction.atomic():
        case = _locked(case)
        _fresh(case, expected_revision)
        if case.status != CaseStatus.IN_REVIEW:
            raise ChartdeskError(NOT_IN_REVIEW)
        changes = record_review_changes(case, reviewer=acting_user)
        case.status, case.reviewed_at, case.reviewed_by = CaseStatus.CODED, clock.now(), acting_user
        case.save(update_fields=["status", "reviewed_at", "reviewed_by"])
        _audit(AuditAction.UPDATE, acting_user, case, "coding_case", case.pk, change="finish_review",
               changes=len(changes))
        _revised(case, acting_user)
    return case


# ----------------------------------------------------------------------------- suggestions


def do_decide_suggestion(
    case: CodingCase,
    *,
    decision: str,
    suggested_code: str,
    final_code: str = "",
    poa: str = "",
    system: str = CodeSystem.ICD10CM,
    performed_on: date | None = None,
    provider: Provider | None = None,
    acting_user: Any,
    expected_revision: int | None = None,
) -> SuggestionDecision:
    """Keep what the coder did with one suggestion; accepting or editing also codes it.

    A diagnosis suggestion (ICD-10-CM) goes on the diagnosis list with its POA; a procedure
    suggestion (ICD-10-PCS, inpatient stays) on the procedure list, with the date and provider the
    coder gives, checked as any procedure is. The suggestion and its evidence are found again on the
    server from the encounter's documents, so what is kept is what the engine showed, not what a
    browser sent.
    """
    if decision not in SuggestionDecision.Decision.values:
        raise ChartdeskError(DECISION_UNKNOWN, field="decision")
    if system not in (CodeSystem.ICD10CM, CodeSystem.ICD10PCS):
        raise ChartdeskError(SUGGESTION_SYSTEM, field="system")
    suggested = code_checks.normalized(suggested_code)
    final = code_checks.normalized(final_code)
    if decision == SuggestionDecision.Decision.ACCEPTED:
        final = suggested
    elif decision == SuggestionDecision.Decision.REJECTED:
        final = ""
    elif not final:
        raise ChartdeskError(EDIT_NEEDS_CODE, field="final_code")
    elif final == suggested:
        raise ChartdeskError(EDIT_SAME_CODE, field="final_code")
    _require_chart(acting_user, case.encounter.patient)
    with transaction.atomic():
        locked = _locked(case)
        _fresh(locked, expected_revision)
        if _editing_mode(locked, acting_user) != "coding":
            raise ChartdeskError(NOT_EDITABLE.format(status=locked.get_status_display().lower()))
        offered = next((item for item in assist.suggestions_for(locked)
                        if item.code == suggested and item.system == system), None)
        if offered is None:
            raise ChartdeskError(SUGGESTION_GONE.format(code=code_checks.dotted(system, suggested)))
        if final and system == CodeSystem.ICD10PCS:
            do_add_procedure(locked, system=ProcedureSystem.ICD10PCS, code=final, performed_on=performed_on,
                             provider=provider, acting_user=acting_user)
        elif final:
            do_add_diagnosis(locked, final, poa=poa, acting_user=acting_user)
        evidence = offered.evidence[0] if offered.evidence else None
        decided = SuggestionDecision.objects.create(
            case=locked, decision=decision, system=offered.system, suggested_code=suggested, final_code=final,
            document_id=evidence.document_id if evidence else None,
            evidence_text=evidence.text[:2000] if evidence else "",
            evidence_start=evidence.start if evidence else None, evidence_end=evidence.end if evidence else None,
            decided_by=acting_user,
        )
        _audit(AuditAction.CREATE, acting_user, locked, "suggestion_decision", decided.pk, decision=decision,
               system=system, suggested=suggested, final=final)
        _revised(locked, acting_user)
    return decided
