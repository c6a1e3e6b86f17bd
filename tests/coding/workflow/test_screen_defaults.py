"""The coding screen's defaults: the procedure date is the encounter's service date, and the provider
of a procedure or a query is the attending (else the note's author), never the first in the list."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from chartdesk.charts.actions import do_add_care_team_member, do_create_note, do_sign_document
from chartdesk.charts.models import CareRole, DocumentType, Provider
from chartdesk.coding.workflow import actions
from tests.coding.workflow.conftest import finished_encounter
from tests.support import factories

pytestmark = pytest.mark.django_db


def options(page: str, select_id: str) -> list[tuple[str, str]]:
    body = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"( selected)?>', body)


def selected(page: str, select_id: str) -> str:
    """The option the browser would submit from a <select>: the one marked selected, else the first."""
    listed = options(page, select_id)
    return next((value for value, mark in listed if mark), listed[0][0])


def date_value(page: str, input_id: str) -> str:
    return re.search(rf'<input id="{input_id}" type="date" name="performed_on" value="([^"]*)"', page).group(1)


@pytest.fixture
def hopper(staff):
    return Provider.objects.get(family_name="Hopper")


def test_provider_defaults_to_the_attending_not_the_first_in_the_list(code_sets, staff, client_for, hopper):
    encounter = finished_encounter(staff)
    # Dr Hopper consults and sorts before Dr Lovelace, the attending.
    do_add_care_team_member(encounter, provider=hopper, role=CareRole.CONSULTING, acting_user=staff.registrar)
    actions.do_start_coding(encounter, acting_user=staff.coder)
    page = client_for(staff.coder).get(f"/coding/work/encounter/{encounter.pk}/").content.decode()
    lovelace = str(staff.doctor.provider.pk)
    assert [value for value, _mark in options(page, "query-provider")] == [str(hopper.pk), lovelace]
    assert selected(page, "add-px-provider") == lovelace
    assert selected(page, "query-provider") == lovelace


def test_procedure_date_defaults_to_the_admission_day_then_to_the_operative_report(code_sets, staff, client_for,
                                                                                   hopper):
    encounter = finished_encounter(staff, days_ago=3, length_days=4)
    actions.do_start_coding(encounter, acting_user=staff.coder)
    client = client_for(staff.coder)
    admitted = timezone.localtime(encounter.admit_at).date()
    page = client.get(f"/coding/work/encounter/{encounter.pk}/").content.decode()
    assert date_value(page, "add-px-date") == admitted.isoformat()

    surgery_day = admitted + datetime.timedelta(days=1)
    report = do_create_note(encounter.patient, document_type=DocumentType.OPERATIVE_REPORT, title="Operation",
                            text="Total hip arthroplasty.", service_date=surgery_day, acting_user=staff.doctor,
                            encounter=encounter, author=staff.doctor.provider)
    do_sign_document(report, acting_user=staff.doctor)
    page = client.get(f"/coding/work/encounter/{encounter.pk}/").content.decode()
    assert date_value(page, "add-px-date") == surgery_day.isoformat()


def test_without_an_attending_the_note_author_is_the_default_and_never_the_first_provider(code_sets, staff,
                                                                                         client_for, hopper):
    patient = factories.make_patient("Ida", "Wells")
    start = timezone.now() - datetime.timedelta(days=2)
    encounter = factories.make_encounter(patient, "outpatient", admit_at=start, acting_user=staff.registrar)
    do_add_care_team_member(encounter, provider=hopper, role=CareRole.CONSULTING, acting_user=staff.registrar)
    note = do_create_note(patient, document_type=DocumentType.PROGRESS_NOTE, title="Visit", text="Seen.",
                          service_date=timezone.localtime(start).date(), acting_user=staff.doctor,
                          encounter=encounter, author=staff.doctor.provider)
    do_sign_document(note, acting_user=staff.doctor)
    from chartdesk.charts.actions import do_finish_encounter

    do_finish_encounter(encounter, acting_user=staff.registrar, finished_at=start + datetime.timedelta(hours=1))
    actions.do_start_coding(encounter, acting_user=staff.coder)
    page = client_for(staff.coder).get(f"/coding/work/encounter/{encounter.pk}/").content.decode()
    assert selected(page, "add-px-provider") == str(staff.doctor.provider.pk)
    assert date_value(page, "add-px-date") == timezone.localtime(start).date().isoformat()
