"""Who may do what in the coding workflow: coders code, the HIM manager assigns and reviews,
providers answer their own queries, everyone else is refused; restricted charts stay closed."""

from __future__ import annotations

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.coding.workflow import actions
from chartdesk.coding.workflow.models import CaseStatus, CodingCase
from chartdesk.core.errors import NotFound, PermissionRefused
from chartdesk.patients.actions import do_set_restriction
from tests.coding.workflow.conftest import finished_encounter, revision_of
from tests.support import factories

pytestmark = pytest.mark.django_db

OUTSIDERS = ["registrar", "billing", "roi", "transcriptionist", "provider", "privacy_officer", "administrator"]


@pytest.fixture
def encounter(code_sets, staff):
    return finished_encounter(staff)


@pytest.mark.parametrize("role", OUTSIDERS)
def test_other_roles_can_neither_open_nor_code_an_encounter(role, encounter, client_for):
    client = client_for(factories.make_user(role))
    base = f"/coding/work/encounter/{encounter.pk}/"
    assert client.get(base).status_code == 403
    for step in ("start/", "codes/", "query/", "complete/", "assign/", "review/"):
        assert client.post(base + step, {"operation": "add_diagnosis", "code": "I10"}).status_code == 403, step
    assert not CodingCase.objects.exists()


@pytest.mark.parametrize("role", OUTSIDERS)
def test_other_roles_are_refused_by_the_actions_too(role, encounter, staff):
    with pytest.raises(PermissionRefused):
        actions.do_start_coding(encounter, acting_user=factories.make_user(role))
    with pytest.raises(PermissionRefused):
        actions.do_assign_case(encounter, staff.coder, acting_user=factories.make_user(role))


def test_the_coder_codes_but_neither_assigns_nor_reviews_nor_reads_the_report(encounter, staff, client_for):
    client = client_for(staff.coder)
    base = f"/coding/work/encounter/{encounter.pk}/"
    assert client.post(base + "start/", {"revision": 0}).status_code == 302
    assert CodingCase.objects.get().status == CaseStatus.IN_PROGRESS
    assert client.post(base + "assign/", {"coder": staff.other_coder.pk}).status_code == 403
    assert client.post(base + "review/").status_code == 403
    assert client.get("/coding/work/report/").status_code == 403
    assert client.get(base).status_code == 200
    assert AuditEvent.objects.filter(action="view", object_type="encounter", object_id=str(encounter.pk),
                                     user=staff.coder).exists()


def test_the_him_manager_assigns_and_reviews_but_does_not_code(encounter, staff, client_for):
    client = client_for(staff.manager)
    base = f"/coding/work/encounter/{encounter.pk}/"
    assert client.post(base + "start/").status_code == 403
    assert client.post(base + "assign/", {"coder": staff.other_coder.pk, "revision": 0}).status_code == 302
    case = CodingCase.objects.get()
    assert (case.status, case.assigned_to) == (CaseStatus.READY, staff.other_coder)
    assert client.post(base + "query/").status_code == 403
    assert client.post(base + "complete/").status_code == 403
    # The manager's code-list change on work not in review is refused by the action.
    client.post(base + "codes/", {"operation": "add_diagnosis", "code": "I10", "poa": "Y",
                                  "revision": revision_of(encounter)})
    assert not case.diagnoses.exists()


def test_assignment_goes_only_to_coders_and_binds_the_case(encounter, staff):
    with pytest.raises(Exception, match="does not hold the coder permission"):
        actions.do_assign_case(encounter, staff.doctor, acting_user=staff.manager)
    actions.do_assign_case(encounter, staff.other_coder, acting_user=staff.manager)
    with pytest.raises(PermissionRefused, match="assigned to coder-two"):
        actions.do_start_coding(encounter, acting_user=staff.coder)
    case = actions.do_start_coding(encounter, acting_user=staff.other_coder)
    with pytest.raises(PermissionRefused, match="assigned to coder-two"):
        actions.do_add_diagnosis(case, "I10", poa="Y", acting_user=staff.coder)


def test_providers_see_only_their_own_queries(encounter, staff, client_for):
    case = actions.do_start_coding(encounter, acting_user=staff.coder)
    query = actions.do_send_query(case, provider=staff.doctor.provider, template="anemia",
                                  indicators="Started IV furosemide.", acting_user=staff.coder)
    own = client_for(staff.doctor).get("/coding/work/queries/").content.decode()
    assert f"/coding/work/query/{query.pk}/" in own
    other = client_for(staff.other_doctor).get("/coding/work/queries/").content.decode()
    assert f"/coding/work/query/{query.pk}/" not in other
    for role in ("registrar", "billing", "roi"):
        assert client_for(factories.make_user(role)).get(f"/coding/work/query/{query.pk}/").status_code == 404


def test_a_restricted_chart_is_closed_to_coding_without_a_grant(encounter, staff, client_for):
    do_set_restriction(encounter.patient, restriction="vip", note="board member", acting_user=staff.manager)
    encounter.patient.refresh_from_db()
    assert client_for(staff.coder).get(f"/coding/work/encounter/{encounter.pk}/").status_code == 404
    with pytest.raises(NotFound):
        actions.do_start_coding(encounter, acting_user=staff.coder)
    # The HIM manager may break the glass and is offered that page.
    answer = client_for(staff.manager).get(f"/coding/work/encounter/{encounter.pk}/")
    assert answer.status_code == 302 and "/break-the-glass/" in answer["Location"]
    assert not CodingCase.objects.exists()


def test_the_home_page_tells_a_coder_their_assigned_work_and_others_nothing(encounter, staff, client_for):
    actions.do_assign_case(encounter, staff.coder, acting_user=staff.manager)
    assert "1 encounter assigned to you waits for coding." in client_for(staff.coder).get("/").content.decode()
    other = client_for(staff.other_coder).get("/").content.decode()
    assert "0 encounters assigned to you wait for coding." in other
    assert "assigned to you" not in client_for(factories.make_user("registrar")).get("/").content.decode()
