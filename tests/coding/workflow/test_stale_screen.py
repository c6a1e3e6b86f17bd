"""A coding screen that is out of date: every change it posts carries the case revision it showed,
and a post from a screen older than the case is refused with 409 ("changed by X at T, reload")
without changing anything."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.coding.workflow import actions
from chartdesk.coding.workflow.models import CaseStatus, CodingCase
from chartdesk.core.errors import ConcurrentChange
from tests.coding.workflow.conftest import NOTE_TEXT, Staff, finished_encounter, revision_of

pytestmark = pytest.mark.django_db

NOTE_WITH_PROCEDURE = NOTE_TEXT + "\nProcedure: laparoscopic appendectomy."
STALE_MESSAGE = re.compile(r"changed by (\S+) at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, after your screen was loaded; "
                           r"nothing was saved\. Reload the page")


def case_state(encounter: Any) -> tuple[Any, ...]:
    """Everything a change on the coding screen could touch, and the audit events of writes."""
    case = CodingCase.objects.filter(encounter=encounter).first()
    writes = AuditEvent.objects.filter(action__in=["create", "update"]).count()
    if case is None:
        return (None, writes)
    return (
        case.status, case.revision, case.assigned_to_id,
        list(case.diagnoses.values_list("code", "poa", "position")),
        list(case.procedures.values_list("system", "code", "position")),
        case.queries.count(), case.suggestion_decisions.count(), case.review_changes.count(),
        (case.admission_type, case.admission_source, case.discharge_status, case.use_nearest_release), writes,
    )


@dataclass
class Scene:
    """A write posted from a screen loaded at revision `seen`, after `meanwhile` changed the case."""

    user: Any
    endpoint: str
    data: dict[str, Any]
    meanwhile: Callable[[], Any]


def in_progress(staff: Staff) -> Any:
    encounter = finished_encounter(staff, text=NOTE_WITH_PROCEDURE)
    case = actions.do_start_coding(encounter, acting_user=staff.coder)
    actions.do_add_diagnosis(case, "I50.9", poa="Y", acting_user=staff.coder)
    actions.do_add_diagnosis(case, "I10", poa="Y", acting_user=staff.coder)
    return case


def other_tab_adds_a_code(staff: Staff, case: Any) -> Callable[[], Any]:
    return lambda: actions.do_add_diagnosis(case, "J18.9", poa="Y", acting_user=staff.coder)


def day_of(case: Any) -> str:
    return actions.service_day(case.encounter).isoformat()


def scene_start(staff: Staff) -> Scene:
    encounter = finished_encounter(staff)
    return Scene(staff.coder, f"/coding/work/encounter/{encounter.pk}/start/", {},
                 lambda: actions.do_assign_case(encounter, staff.coder, acting_user=staff.manager))


def scene_assign(staff: Staff) -> Scene:
    case = in_progress(staff)
    return Scene(staff.manager, f"/coding/work/encounter/{case.encounter_id}/assign/",
                 {"coder": staff.other_coder.pk}, other_tab_adds_a_code(staff, case))


def code_list_scene(operation: str, fields: Callable[[Any, Staff], dict[str, Any]]) -> Callable[[Staff], Scene]:
    def scene(staff: Staff) -> Scene:
        case = in_progress(staff)
        return Scene(staff.coder, f"/coding/work/encounter/{case.encounter_id}/codes/",
                     {"operation": operation, **fields(case, staff)}, other_tab_adds_a_code(staff, case))
    return scene


def scene_remove_procedure(staff: Staff) -> Scene:
    case = in_progress(staff)
    procedure = actions.do_add_procedure(case, system="icd10pcs", code="0DTJ0ZZ",
                                         performed_on=actions.service_day(case.encounter),
                                         provider=staff.doctor.provider, acting_user=staff.coder)
    return Scene(staff.coder, f"/coding/work/encounter/{case.encounter_id}/codes/",
                 {"operation": "remove_procedure", "procedure": procedure.pk}, other_tab_adds_a_code(staff, case))


def suggestion_scene(fields: Callable[[Any, Staff], dict[str, Any]]) -> Callable[[Staff], Scene]:
    def scene(staff: Staff) -> Scene:
        case = in_progress(staff)
        return Scene(staff.coder, f"/coding/work/encounter/{case.encounter_id}/suggestion/", fields(case, staff),
                     other_tab_adds_a_code(staff, case))
    return scene


def scene_abstract(staff: Staff) -> Scene:
    # The discharge status moves the DRG: a stale screen must not set it over a colleague's codes.
    case = in_progress(staff)
    return Scene(staff.coder, f"/coding/work/encounter/{case.encounter_id}/abstract/",
                 {"admission_type": "1", "admission_source": "1", "discharge_status": "20"},
                 other_tab_adds_a_code(staff, case))


def scene_nearest_release(staff: Staff) -> Scene:
    encounter = finished_encounter(staff, days_ago=(timezone.localdate() - datetime.date(2024, 6, 3)).days)
    actions.do_start_coding(encounter, acting_user=staff.coder)
    return Scene(staff.coder, f"/coding/work/encounter/{encounter.pk}/nearest-release/", {},
                 lambda: actions.do_assign_case(encounter, staff.coder, acting_user=staff.manager))


def scene_send_query(staff: Staff) -> Scene:
    case = in_progress(staff)
    return Scene(staff.coder, f"/coding/work/encounter/{case.encounter_id}/query/",
                 {"provider": staff.doctor.provider.pk, "template": "abnormal_finding",
                  "indicators": "BNP 1,450 pg/mL."}, other_tab_adds_a_code(staff, case))


def scene_complete(staff: Staff) -> Scene:
    case = in_progress(staff)
    return Scene(staff.coder, f"/coding/work/encounter/{case.encounter_id}/complete/", {},
                 other_tab_adds_a_code(staff, case))


def coded(staff: Staff) -> Any:
    case = actions.do_start_coding(finished_encounter(staff), acting_user=staff.coder)
    actions.do_add_diagnosis(case, "I50.9", poa="Y", acting_user=staff.coder)
    return case


def scene_start_review(staff: Staff) -> Scene:
    # The manager's screen still shows the case in progress when the coder completes it.
    case = coded(staff)
    return Scene(staff.manager, f"/coding/work/encounter/{case.encounter_id}/review/", {"operation": "start"},
                 lambda: actions.do_complete_coding(case, acting_user=staff.coder))


def scene_finish_review(staff: Staff) -> Scene:
    case = coded(staff)
    actions.do_complete_coding(case, acting_user=staff.coder)
    actions.do_start_review(case, acting_user=staff.manager)
    diagnosis = case.diagnoses.get()
    return Scene(staff.manager, f"/coding/work/encounter/{case.encounter_id}/review/", {"operation": "finish"},
                 lambda: actions.do_change_diagnosis(diagnosis, code="I50.23", poa="Y", acting_user=staff.manager))


SCENES: dict[str, Callable[[Staff], Scene]] = {
    "start coding": scene_start,
    "assign": scene_assign,
    "add a diagnosis": code_list_scene("add_diagnosis", lambda case, staff: {"code": "N39.0", "poa": "Y"}),
    "change a diagnosis": code_list_scene("change_diagnosis", lambda case, staff: {
        "diagnosis": case.diagnoses.get(code="I509").pk, "code": "I50.23", "poa": "Y"}),
    "move a diagnosis": code_list_scene("move_diagnosis", lambda case, staff: {
        "diagnosis": case.diagnoses.get(code="I10").pk, "to_position": 1}),
    "remove a diagnosis": code_list_scene("remove_diagnosis", lambda case, staff: {
        "diagnosis": case.diagnoses.get(code="I10").pk}),
    "add a procedure": code_list_scene("add_procedure", lambda case, staff: {
        "system": "icd10pcs", "code": "0DTJ4ZZ", "performed_on": day_of(case), "provider": staff.doctor.provider.pk}),
    "remove a procedure": scene_remove_procedure,
    "decide on a diagnosis suggestion": suggestion_scene(lambda case, staff: {
        "decision": "accepted", "suggested_code": "E119", "poa": "Y"}),
    "decide on a procedure suggestion": suggestion_scene(lambda case, staff: {
        "decision": "accepted", "system": "icd10pcs", "suggested_code": "0DTJ4ZZ", "performed_on": day_of(case),
        "provider": staff.doctor.provider.pk}),
    "save the inpatient abstract": scene_abstract,
    "code against the nearest release": scene_nearest_release,
    "send a query": scene_send_query,
    "complete": scene_complete,
    "start review": scene_start_review,
    "finish review": scene_finish_review,
}


@pytest.mark.parametrize("write", list(SCENES))
def test_a_change_from_a_stale_screen_is_refused_with_409_and_changes_nothing(write, code_sets, staff, client_for):
    scene = SCENES[write](staff)
    encounter_id = int(scene.endpoint.split("/")[4])
    seen = revision_of(encounter_id)
    scene.meanwhile()
    before = case_state(encounter_id)

    response = client_for(scene.user).post(scene.endpoint, {**scene.data, "revision": seen})

    assert response.status_code == 409
    page = response.content.decode()
    found = STALE_MESSAGE.search(page)
    assert found is not None, page
    assert found.group(1) in {staff.coder.username, staff.manager.username}
    assert f'href="/coding/work/encounter/{encounter_id}/"' in page
    assert case_state(encounter_id) == before


@pytest.mark.parametrize("write", list(SCENES))
def test_the_same_change_from_an_up_to_date_screen_goes_through(write, code_sets, staff, client_for):
    scene = SCENES[write](staff)
    encounter_id = int(scene.endpoint.split("/")[4])
    scene.meanwhile()
    before = case_state(encounter_id)

    response = client_for(scene.user).post(scene.endpoint, {**scene.data, "revision": revision_of(encounter_id)})

    assert response.status_code == 302
    after = case_state(encounter_id)
    assert after != before
    assert after[1] > before[1]  # the revision moved on


def test_the_message_names_who_changed_the_case_and_when(code_sets, staff):
    case = in_progress(staff)
    seen = revision_of(case)
    moment = timezone.now()
    actions.do_add_diagnosis(case, "J18.9", poa="Y", acting_user=staff.coder)
    with pytest.raises(ConcurrentChange) as refused:
        actions.do_add_diagnosis(case, "N39.0", poa="Y", acting_user=staff.coder, expected_revision=seen)
    stamp = datetime.datetime.strptime(STALE_MESSAGE.search(refused.value.message).group(0).split(" at ")[1][:19],  # type: ignore[union-attr]
                                       "%Y-%m-%d %H:%M:%S")
    assert abs(stamp - timezone.localtime(moment).replace(tzinfo=None)) < datetime.timedelta(minutes=1)
    assert "changed by coder-one at" in refused.value.message
    assert not case.diagnoses.filter(code="N390").exists()


def test_a_line_removed_in_another_tab_is_a_stale_screen_not_a_missing_line(code_sets, staff, client_for):
    case = in_progress(staff)
    seen = revision_of(case)
    line = case.diagnoses.get(code="I10")
    actions.do_remove_diagnosis(line, acting_user=staff.coder)
    response = client_for(staff.coder).post(f"/coding/work/encounter/{case.encounter_id}/codes/", {
        "operation": "remove_diagnosis", "diagnosis": line.pk, "revision": seen})
    assert response.status_code == 409
    assert STALE_MESSAGE.search(response.content.decode())


def test_a_post_without_a_revision_is_refused_as_stale(code_sets, staff, client_for):
    case = in_progress(staff)
    before = case_state(case.encounter_id)
    response = client_for(staff.coder).post(f"/coding/work/encounter/{case.encounter_id}/codes/", {
        "operation": "add_diagnosis", "code": "N39.0", "poa": "Y"})
    assert response.status_code == 409
    assert case_state(case.encounter_id) == before


def test_every_change_raises_the_revision_and_records_who_and_when(code_sets, staff):
    case = actions.do_start_coding(finished_encounter(staff), acting_user=staff.coder)
    assert revision_of(case) == 1
    row = actions.do_add_diagnosis(case, "I50.9", poa="Y", acting_user=staff.coder, expected_revision=1)
    actions.do_change_diagnosis(row, code="I50.23", poa="Y", acting_user=staff.coder, expected_revision=2)
    actions.do_complete_coding(case, acting_user=staff.coder, expected_revision=3)
    stored = CodingCase.objects.get(pk=case.pk)
    assert (stored.revision, stored.revised_by, stored.status) == (4, staff.coder, CaseStatus.CODED)


def test_every_form_on_the_coding_screen_posts_the_revision_it_showed(code_sets, staff, client_for):
    case = in_progress(staff)
    page = client_for(staff.coder).get(f"/coding/work/encounter/{case.encounter_id}/").content.decode()
    forms = [form for form in re.findall(r'<form [^>]*method="post".*?</form>', page, flags=re.S)
             if 'action="/coding/work/' in form]
    assert len(forms) >= 10
    for form in forms:
        assert f'name="revision" value="{revision_of(case)}"' in form, form[:200]
    hits = client_for(staff.coder).get("/coding/work/encoder/", {
        "q": "chf", "encounter": case.encounter_id, "revision": revision_of(case)}, HTTP_HX_REQUEST="true")
    assert f'name="revision" value="{revision_of(case)}"' in hits.content.decode()


def test_a_screen_from_before_the_provider_answered_the_query_is_stale(code_sets, staff):
    case = in_progress(staff)
    query = actions.do_send_query(case, provider=staff.doctor.provider, template="abnormal_finding",
                                  indicators="BNP 1,450 pg/mL.", acting_user=staff.coder)
    seen = revision_of(case)
    actions.do_answer_query(query, answer=query.options[0], acting_user=staff.doctor)
    with pytest.raises(ConcurrentChange, match="changed by .* at "):
        actions.do_complete_coding(case, acting_user=staff.coder, expected_revision=seen)
    assert CodingCase.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS


def test_the_stale_page_shows_what_changed_since_the_screen_and_the_case_now(code_sets, staff, client_for):
    case = in_progress(staff)  # I50.9, I10
    seen = revision_of(case)
    actions.do_add_diagnosis(case, "J18.9", poa="N", acting_user=staff.coder)
    actions.do_move_diagnosis(case.diagnoses.get(code="J189"), to_position=1, acting_user=staff.coder)
    response = client_for(staff.coder).post(f"/coding/work/encounter/{case.encounter_id}/codes/", {
        "operation": "remove_diagnosis", "diagnosis": case.diagnoses.get(code="I10").pk, "revision": seen})
    assert response.status_code == 409
    page = response.content.decode()
    rows = re.findall(r'<tr data-change-revision="(\d+)"><td>[^<]+</td><td>([^<]+)</td><td>([^<]+)</td></tr>', page)
    assert rows == [(str(seen + 1), "coder-one", "added diagnosis J189"),
                    (str(seen + 2), "coder-one", "moved diagnosis J189 from line 3 to line 1")]
    now = " ".join(re.search(r"<p data-case-now>(.*?)</p>", page, re.S).group(1).split())  # type: ignore[union-attr]
    assert now == "Diagnoses: 1. J18.9 (POA N); 2. I50.9 (POA Y); 3. I10 (POA Y). Procedures: none."
    assert case.diagnoses.filter(code="I10").exists()
