"""The coding desk: queue, coding screen, physician queries, review and the manager's report.

Thin views: reads through access.py and queue.py, writes through actions.py. Every change is a POST
that comes back to the coding screen (post/redirect/get) with the action's message on refusal.
Every form on the coding screen carries the case revision it showed; a change posted from a stale
screen answers 409 with who changed the case and when, and changes nothing (the action checks the
revision under the row lock).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from chartdesk.accounts.roles import users_with_permission
from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.access import documents_in_chart
from chartdesk.charts.models import DischargeDisposition, EncounterClass, Provider
from chartdesk.coding.encoder.search import search
from chartdesk.coding.models import CodeSystem
from chartdesk.coding.workflow import actions, assist, codes
from chartdesk.coding.workflow.access import (
    access_codable_encounter_by_id,
    access_query_by_id,
    may_answer,
    open_queries_for,
)
from chartdesk.coding.workflow.casemix import case_mix
from chartdesk.coding.workflow.changes import changes_since
from chartdesk.coding.workflow.defaults import default_procedure_day, default_provider
from chartdesk.coding.workflow.drg import discharge_status_of, working_drg
from chartdesk.coding.workflow.models import (
    AdmissionSource,
    AdmissionType,
    CaseStatus,
    CodingCase,
    PresentOnAdmission,
    ProcedureSystem,
    QueryStatus,
)
from chartdesk.coding.workflow.query_templates import TEMPLATES
from chartdesk.coding.workflow.queue import (
    QueueFilters,
    case_of,
    dnfb_summary,
    payers_in_queue,
    queue_encounters,
    with_days_waiting,
)
from chartdesk.coding.workflow.reports import coder_figures, suggestion_precision
from chartdesk.core.errors import ChartdeskError, ConcurrentChange, NotFound
from chartdesk.core.forms import posted_id, whole_number
from chartdesk.core.listing import Column, list_page
from chartdesk.core.permissions import requires, signed_in
from chartdesk.patients.view_guards import opens_records

QUEUE = "coding_workflow.view_coding_queue"
CODE = "coding_workflow.code_encounters"
MAX_REVISION = 10**9 - 1  # a case revision is a counter; more digits come from no screen of ours


def _coders() -> list[Any]:
    return list(users_with_permission(CODE))


def _audit_work_list(user: Any, name: str, encounters: list[Any]) -> None:
    # A list of names is patient data too: one event per list, with the patients it showed.
    patient_ids = sorted({encounter.patient_id for encounter in encounters})
    if patient_ids:
        record_event(AuditAction.VIEW, user=user, object_type="work_list", object_id=name,
                     detail={"patient_ids": patient_ids})


def _queue_filters(request: HttpRequest) -> tuple[QueueFilters, list[str]]:
    problems = []
    encounter_class = request.GET.get("class", "")
    if encounter_class and encounter_class not in EncounterClass.values:
        problems.append("Encounter class: choose one from the list.")
        encounter_class = ""
    min_days: int | None = None
    raw_days = request.GET.get("min_days", "").strip()
    if raw_days:
        min_days = whole_number(raw_days, high=3650)
        if min_days is None:
            problems.append("Days waiting: give a whole number of days (0 to 3650).")
    status = request.GET.get("status", "")
    if status and status not in {CaseStatus.READY, CaseStatus.IN_PROGRESS, CaseStatus.ON_HOLD}:
        problems.append("Status: choose one from the list.")
        status = ""
    coder = request.GET.get("coder", "")
    if coder and coder != "unassigned" and whole_number(coder) is None:
        problems.append("Coder: choose one from the list.")
        coder = ""
    filters = QueueFilters(encounter_class, request.GET.get("payer", "").strip(), min_days, coder, status)
    return filters, problems


# The queue's sortable columns; "Days" waiting is the discharge moment the other way round.
QUEUE_COLUMNS = (
    Column("discharged", "Discharged", ("discharge_at",)),
    Column("days", "Days", ("-discharge_at",), numeric=True),
    Column("class", "Class", ("encounter_class",)),
    Column("account", "Account", ("account_number",)),
    Column("patient", "Patient", ("patient__family_name", "patient__given_name")),
    Column("payer", "Payer", ("payer",)),
    Column("status", "Status", ("coding_case__status",)),
    Column("coder", "Coder", ("coding_case__assigned_to__username",)),
)


@requires(QUEUE)
def queue_view(request: HttpRequest) -> HttpResponse:
    filters, problems = _queue_filters(request)
    listing = list_page(request, queue_encounters(filters), QUEUE_COLUMNS, default_sort="discharged")
    encounters = with_days_waiting(listing.rows)
    _audit_work_list(request.user, "coding-queue", encounters)
    return render(request, "coding_workflow/queue.html", {
        "encounters": encounters,
        "listing": listing,
        "filters": filters,
        "problems": problems,
        "classes": EncounterClass.choices,
        "statuses": [(CaseStatus.READY, "Ready to code"), (CaseStatus.IN_PROGRESS, "In progress"),
                     (CaseStatus.ON_HOLD, "On hold for query")],
        "payers": payers_in_queue(),
        "coders": _coders(),
        "dnfb": dnfb_summary(),
        # Said once, here, rather than on every coding screen.
        "cpt_loaded": codes.CodeSetRelease.objects.in_effect(CodeSystem.CPT, timezone.localdate()) is not None,
    })


def _screen_url(encounter_id: int) -> str:
    return reverse("coding-work-encounter", kwargs={"encounter_id": encounter_id})


def _case_rows(case: CodingCase | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if case is None:
        return [], []
    diagnoses = list(case.diagnoses.order_by("position"))
    titles = codes.titles_for(CodeSystem.ICD10CM, [row.code for row in diagnoses],
                              actions.code_day(case, CodeSystem.ICD10CM))
    diagnosis_rows = [
        {"row": row, "display": titles.get(row.code, (codes.dotted(CodeSystem.ICD10CM, row.code), ""))[0],
         "title": titles.get(row.code, ("", ""))[1]}
        for row in diagnoses
    ]
    procedure_rows = []
    for row in case.procedures.select_related("provider").order_by("position"):
        found = codes.titles_for(row.system, [row.code], codes.lookup_day(row.system, row.performed_on,
                                                                           nearest=case.use_nearest_release))
        procedure_rows.append({"row": row, "title": found.get(row.code, ("", ""))[1]})
    return diagnosis_rows, procedure_rows


@requires(QUEUE)
@opens_records
def encounter_view(request: HttpRequest, encounter_id: int) -> HttpResponse:
    encounter = access_codable_encounter_by_id(request.user, encounter_id)
    case = case_of(encounter)
    day = actions.service_day(encounter)
    documents = list(documents_in_chart(request.user, encounter.patient, encounter=encounter))
    diagnosis_rows, procedure_rows = _case_rows(case)
    user = request.user
    mode = ""
    if case is not None:
        if case.status in (CaseStatus.IN_PROGRESS, CaseStatus.ON_HOLD) and user.has_perm(CODE) \
                and case.assigned_to_id in (None, user.pk):
            mode = "coding"
        elif case.status == CaseStatus.IN_REVIEW and user.has_perm(actions.REVIEW):
            mode = "review"
    return render(request, "coding_workflow/encounter.html", {
        "findings": assist.validation_report(case).findings if case is not None and diagnosis_rows else [],
        "suggestions": assist.suggestions_for(case) if mode == "coding" and case is not None else [],
        "encoder_systems": [(CodeSystem.ICD10CM, "ICD-10-CM")] + [
            (value, label) for value, label in ProcedureSystem.choices
            if (value == ProcedureSystem.ICD10PCS) == (encounter.encounter_class == EncounterClass.INPATIENT)],
        "encounter": encounter,
        "patient": encounter.patient,
        "case": case,
        "mode": mode,
        "inpatient": encounter.encounter_class == EncounterClass.INPATIENT,
        "documents": documents,
        "diagnosis_rows": diagnosis_rows,
        "procedure_rows": procedure_rows,
        "poa_choices": PresentOnAdmission.choices,
        "procedure_systems": [choice for choice in ProcedureSystem.choices
                              if (choice[0] == ProcedureSystem.ICD10PCS) == (encounter.encounter_class
                                                                             == EncounterClass.INPATIENT)],
        "providers": actions.providers_of(encounter),
        "all_providers": Provider.objects.filter(active=True),
        "templates": TEMPLATES,
        "queries": list(case.queries.select_related("provider", "asked_by")) if case else [],
        "review_changes": list(case.review_changes.select_related("reviewer")) if case else [],
        "coders": _coders() if user.has_perm(actions.ASSIGN) else [],
        "can_start": user.has_perm(CODE) and (case is None or case.status == CaseStatus.READY)
        and (case is None or case.assigned_to_id in (None, user.pk)),
        "service_day": day,
        "release_notice": _release_notice(case, day),
        "code_day": actions.code_day(case, CodeSystem.ICD10CM) if case is not None else day,
        "procedure_day": default_procedure_day(encounter),
        "default_provider": default_provider(encounter),
        "drg": working_drg(case) if case is not None else None,
        "admission_types": AdmissionType.choices,
        "admission_sources": AdmissionSource.choices,
        "discharge_statuses": DischargeDisposition.choices,
        "discharge_status": discharge_status_of(case) if case is not None else "",
    })


def _release_notice(case: CodingCase | None, day: datetime.date) -> dict[str, Any] | None:
    """When no ICD-10-CM release covers the date of service: the nearest loaded one, and whether the
    case codes against it."""
    if codes.CodeSetRelease.objects.in_effect(CodeSystem.ICD10CM, day) is not None:
        return None
    nearest = codes.nearest_release(CodeSystem.ICD10CM, day)
    return {"day": day, "nearest": nearest, "span": codes.span_of(nearest) if nearest else "",
            "in_use": bool(case is not None and case.use_nearest_release and nearest is not None)}


def _refused(request: HttpRequest, refusal: ChartdeskError) -> None:
    messages.error(request, refusal.message)


def _posted_revision(request: HttpRequest) -> int:
    """The case revision the screen showed. A post without one is from no screen of this version:
    -1 matches no revision, so it is refused as stale rather than applied blind."""
    revision = whole_number(request.POST.get("revision"), high=MAX_REVISION)
    return -1 if revision is None else revision


def _stale(request: HttpRequest, encounter: Any, refusal: ConcurrentChange) -> HttpResponse:
    """409, with what changed since the screen's revision and the code list as it stands now."""
    case = case_of(encounter)
    seen = _posted_revision(request)
    return render(request, "coding_workflow/stale.html", {
        "encounter": encounter, "patient": encounter.patient, "problem": refusal.message, "case": case,
        "changes": changes_since(case, max(seen, 0)) if case is not None else [],
        "diagnoses": [(codes.dotted(CodeSystem.ICD10CM, line.code), line.poa)
                      for line in case.diagnoses.order_by("position")] if case is not None else [],
        "procedures": [(codes.dotted(line.system, line.code), line.performed_on)
                       for line in case.procedures.order_by("position")] if case is not None else [],
    }, status=409)


ScreenChange = Callable[[HttpRequest, Any, Any], "str | HttpResponse | None"]
EncounterView = Callable[[HttpRequest, int], HttpResponse]


def _case_or_404(encounter: Any) -> CodingCase:
    case = case_of(encounter)
    if case is None:
        raise NotFound("coding case")
    return case


def screen_change(*, needs_case: bool = True) -> Callable[[ScreenChange], EncounterView]:
    """A form posted from the coding screen, answered the same way by every such view: the encounter
    (access-checked and audited) and its coding case, or "not found"; a stale screen answers 409
    with who changed the case; any other refusal goes back to the screen as a message. The change
    returns the success message to show (or a response of its own)."""

    def decorate(change: ScreenChange) -> EncounterView:
        @wraps(change)
        def posted(request: HttpRequest, encounter_id: int) -> HttpResponse:
            encounter = access_codable_encounter_by_id(request.user, encounter_id)
            case = _case_or_404(encounter) if needs_case else None
            try:
                outcome = change(request, encounter, case)
            except ConcurrentChange as stale:
                return _stale(request, encounter, stale)
            except ChartdeskError as refusal:
                _refused(request, refusal)
                outcome = None
            if isinstance(outcome, HttpResponse):
                return outcome
            if outcome:
                messages.success(request, outcome)
            return redirect(_screen_url(encounter.pk))

        return posted

    return decorate


@requires(CODE)
@require_POST
@opens_records
@screen_change(needs_case=False)
def start_view(request: HttpRequest, encounter: Any, case: None) -> None:
    actions.do_start_coding(encounter, acting_user=request.user, expected_revision=_posted_revision(request))


@requires(actions.ASSIGN)
@require_POST
@opens_records
@screen_change(needs_case=False)
def assign_view(request: HttpRequest, encounter: Any, case: None) -> str:
    coder = get_user_model().objects.filter(pk=posted_id(request, "coder"), is_active=True).first()
    actions.do_assign_case(encounter, coder, acting_user=request.user, expected_revision=_posted_revision(request))
    return f"Assigned to {coder}."


def _parse_date(raw: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _code_operation(request: HttpRequest, case: CodingCase) -> str:
    """Run the code-list change the form asked for; the success message, or raises ChartdeskError."""
    operation = request.POST.get("operation", "")
    user = request.user
    revision = _posted_revision(request)
    if operation == "add_diagnosis":
        row = actions.do_add_diagnosis(case, request.POST.get("code", ""), poa=request.POST.get("poa", ""),
                                       acting_user=user, expected_revision=revision)
        return f"Added {codes.dotted(CodeSystem.ICD10CM, row.code)}."
    if operation == "add_procedure":
        raw_day = request.POST.get("performed_on", "")
        day = _parse_date(raw_day)
        if raw_day and day is None:
            raise ChartdeskError("Procedure date: give it as YYYY-MM-DD.", field="performed_on")
        provider = Provider.objects.filter(pk=posted_id(request, "provider"), active=True).first()
        procedure = actions.do_add_procedure(
            case, system=request.POST.get("system", ""), code=request.POST.get("code", ""), performed_on=day,
            provider=provider, modifiers=request.POST.get("modifiers", ""), units=request.POST.get("units") or 1,
            acting_user=user, expected_revision=revision,
        )
        return f"Added procedure {procedure.code}."
    if operation in {"change_diagnosis", "move_diagnosis", "remove_diagnosis"}:
        diagnosis = case.diagnoses.filter(pk=posted_id(request, "diagnosis")).first()
        if diagnosis is None:
            actions.refuse_if_stale(case, revision)
            raise ChartdeskError("That diagnosis is no longer on this encounter; reload the page.")
        if operation == "change_diagnosis":
            actions.do_change_diagnosis(diagnosis, code=request.POST.get("code", ""),
                                        poa=request.POST.get("poa", ""), acting_user=user, expected_revision=revision)
            return "Diagnosis changed."
        if operation == "move_diagnosis":
            target = whole_number(request.POST.get("to_position"))
            if target is None:
                raise ChartdeskError("Choose where to move the diagnosis.")
            actions.do_move_diagnosis(diagnosis, to_position=target, acting_user=user,
                                      expected_revision=revision)
            return "Sequence changed."
        actions.do_remove_diagnosis(diagnosis, acting_user=user, expected_revision=revision)
        return "Diagnosis removed."
    if operation == "remove_procedure":
        listed = case.procedures.filter(pk=posted_id(request, "procedure")).first()
        if listed is None:
            actions.refuse_if_stale(case, revision)
            raise ChartdeskError("That procedure is no longer on this encounter; reload the page.")
        actions.do_remove_procedure(listed, acting_user=user, expected_revision=revision)
        return "Procedure removed."
    raise ChartdeskError("Unknown change to the code list.")


@requires(QUEUE)
@require_POST
@opens_records
@screen_change()
def codes_view(request: HttpRequest, encounter: Any, case: CodingCase) -> str:
    """Changes to the code list; the action decides whether this user may make them (coder or reviewer)."""
    return _code_operation(request, case)


@requires(QUEUE)
@require_POST
@opens_records
@screen_change()
def abstract_view(request: HttpRequest, encounter: Any, case: CodingCase) -> str:
    """The inpatient abstract's UB-04 fields; the action decides whether this user may change them."""
    actions.do_set_inpatient_abstract(
        case, admission_type=request.POST.get("admission_type", ""),
        admission_source=request.POST.get("admission_source", ""),
        discharge_status=request.POST.get("discharge_status", ""),
        birth_weight_grams=request.POST.get("birth_weight_grams", ""), acting_user=request.user,
        expected_revision=_posted_revision(request),
    )
    return "Abstract saved."


@requires(QUEUE)
@require_POST
@opens_records
@screen_change()
def nearest_release_view(request: HttpRequest, encounter: Any, case: CodingCase) -> str:
    """Code against the nearest loaded release; the action decides whether this user may."""
    actions.do_use_nearest_release(case, acting_user=request.user, expected_revision=_posted_revision(request))
    return "Codes on this encounter are now checked against the nearest loaded release."


@requires(CODE)
@require_POST
@opens_records
@screen_change()
def query_new_view(request: HttpRequest, encounter: Any, case: CodingCase) -> str:
    provider = Provider.objects.filter(pk=posted_id(request, "provider")).first()
    query = actions.do_send_query(case, provider=provider, template=request.POST.get("template", ""),
                                  indicators=request.POST.get("indicators", ""), acting_user=request.user,
                                  expected_revision=_posted_revision(request))
    return f"Query sent to {query.provider}; the encounter is on hold."


@requires(CODE)
@require_POST
@opens_records
@screen_change()
def complete_view(request: HttpRequest, encounter: Any, case: CodingCase) -> HttpResponse:
    actions.do_complete_coding(case, acting_user=request.user, expected_revision=_posted_revision(request))
    messages.success(request, f"Encounter {encounter.account_number} is coded and ready for billing.")
    return redirect("coding-work-queue")


@requires(actions.REVIEW)
@require_POST
@opens_records
@screen_change()
def review_view(request: HttpRequest, encounter: Any, case: CodingCase) -> str | None:
    revision = _posted_revision(request)
    if request.POST.get("operation") == "finish":
        actions.do_finish_review(case, acting_user=request.user, expected_revision=revision)
        changes = case.review_changes.count()
        return f"Review finished with {changes} change{'s' if changes != 1 else ''}."
    actions.do_start_review(case, acting_user=request.user, expected_revision=revision)
    return None


@requires(CODE)
@require_POST
@opens_records
@screen_change()
def suggestion_view(request: HttpRequest, encounter: Any, case: CodingCase) -> str:
    system = request.POST.get("system", CodeSystem.ICD10CM)
    raw_day = request.POST.get("performed_on", "")
    day = _parse_date(raw_day)
    if system == CodeSystem.ICD10PCS and raw_day and day is None:
        raise ChartdeskError("Procedure date: give it as YYYY-MM-DD.", field="performed_on")
    provider = Provider.objects.filter(pk=posted_id(request, "provider"), active=True).first() \
        if system == CodeSystem.ICD10PCS else None
    decided = actions.do_decide_suggestion(
        case, decision=request.POST.get("decision", ""), suggested_code=request.POST.get("suggested_code", ""),
        final_code=request.POST.get("final_code", ""), poa=request.POST.get("poa", ""), system=system,
        performed_on=day, provider=provider, acting_user=request.user,
        expected_revision=_posted_revision(request),
    )
    return f"Suggestion {decided.get_decision_display().lower()}."



ENCODER_SYSTEMS = {CodeSystem.ICD10CM, CodeSystem.ICD10PCS, CodeSystem.HCPCS, CodeSystem.CPT}


@requires(QUEUE)
def encoder_view(request: HttpRequest) -> HttpResponse:
    """Encoder hits for what the coder types (code-set data only; htmx swaps them into the coding screen)."""
    text = request.GET.get("q", "")[:200]
    system = request.GET.get("system", CodeSystem.ICD10CM)
    if system not in ENCODER_SYSTEMS:
        system = CodeSystem.ICD10CM
    day = _parse_date(request.GET.get("on", ""))
    encounter_id = request.GET.get("encounter", "")
    revision = whole_number(request.GET.get("revision"), high=MAX_REVISION)
    hits = search(text, system=system, limit=10, on=day) if text.strip() else []
    template = "coding_workflow/_encoder_hits.html" if request.htmx else "coding_workflow/encoder_page.html"  # type: ignore[attr-defined]
    return render(request, template, {
        "hits": hits, "text": text, "system": system,
        # Only used to aim the "Add" buttons; the add itself goes through the access checks.
        "encounter_id": whole_number(encounter_id),
        # The revision of the coding screen that asked: its "Add" buttons post it back like every form there.
        "revision": "" if revision is None else revision,
        "inpatient": request.GET.get("inpatient") == "1",
        "poa_choices": PresentOnAdmission.choices,
    })


@requires(actions.ANSWER)
def my_queries_view(request: HttpRequest) -> HttpResponse:
    queries = list(open_queries_for(request.user))
    _audit_work_list(request.user, "coding-queries", [query.case.encounter for query in queries])
    return render(request, "coding_workflow/my_queries.html", {"queries": queries})


@signed_in
@opens_records
def query_view(request: HttpRequest, query_id: int) -> HttpResponse:
    """A physician query: the provider it was sent to answers here; coding staff read it."""
    query = access_query_by_id(request.user, query_id)
    answering = may_answer(request.user, query) and query.status == QueryStatus.OPEN
    if request.method == "POST":
        if not answering:
            return render(request, "core/forbidden.html", {"permissions": [actions.ANSWER]}, status=403)
        try:
            actions.do_answer_query(query, answer=request.POST.get("answer", ""),
                                    detail=request.POST.get("detail", ""), acting_user=request.user)
            messages.success(request, "Thank you: your answer went back to the coder.")
            return redirect("coding-work-my-queries")
        except ChartdeskError as refusal:
            _refused(request, refusal)
            return redirect("coding-work-query", query_id=query.pk)
    return render(request, "coding_workflow/query.html", {
        "query": query, "encounter": query.case.encounter, "answering": answering,
    })


@requires("coding_workflow.view_coding_reports")
def report_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    since_day = _parse_date(request.GET.get("since", "")) or today - datetime.timedelta(days=30)
    until_day = _parse_date(request.GET.get("until", "")) or today
    zone = timezone.get_current_timezone()
    since = datetime.datetime.combine(since_day, datetime.time.min, tzinfo=zone)
    until = datetime.datetime.combine(until_day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return render(request, "coding_workflow/report.html", {
        "lines": coder_figures(since, until),
        "suggestions": suggestion_precision(since, until),
        "since": since_day,
        "until": until_day,
    })


@requires("coding_workflow.view_coding_reports")
def case_mix_view(request: HttpRequest) -> HttpResponse:
    """CMI by discharge month, service and attending; DRG shifts from working to final."""
    today = timezone.localdate()
    problems = []
    since_day = _parse_date(request.GET.get("since", "")) if request.GET.get("since") else None
    until_day = _parse_date(request.GET.get("until", "")) if request.GET.get("until") else None
    if request.GET.get("since") and since_day is None:
        problems.append("From: give the date as YYYY-MM-DD.")
    if request.GET.get("until") and until_day is None:
        problems.append("To: give the date as YYYY-MM-DD.")
    since_day = since_day or today.replace(day=1) - datetime.timedelta(days=365)
    until_day = until_day or today
    if since_day > until_day:
        problems.append("From must not be after To.")
        since_day = until_day
    zone = timezone.get_current_timezone()
    report = case_mix(datetime.datetime.combine(since_day, datetime.time.min, tzinfo=zone),
                      datetime.datetime.combine(until_day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone))
    # The shifts name encounters: a list of patients' stays, audited like the work lists.
    _audit_work_list(request.user, "drg-shifts", [shift.encounter for shift in report.shifts])
    return render(request, "coding_workflow/case_mix.html", {
        "report": report, "since": since_day, "until": until_day, "problems": problems,
        "sections": [("discharge month", "month", report.by_month), ("service", "service", report.by_service),
                     ("attending", "attending", report.by_attending)],
    })
