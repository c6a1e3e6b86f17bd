"""$export?_since=: only what changed at or after the instant, at system, group and patient level;
everything when the instant predates version keeping; a malformed instant is a 400 naming _since."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartdesk.clinical.actions import do_change_condition_status
from chartdesk.interop.fhir.common import SearchError, parse_instant
from chartdesk.interop.models import ExportJob, ResourceVersion, VersionKeeping
from tests.interop.conftest import FhirClient
from tests.interop.records import make_chart
from tests.support import factories

pytestmark = pytest.mark.django_db


def _exported(api: FhirClient, path: str, run_jobs: Callable[[], int]) -> dict[str, list[str]]:
    """Kick off an export, let the worker run it, and return the ids in each file by type."""
    kick = api.get(path, Prefer="respond-async")
    assert kick.status_code == 202, kick.content
    assert run_jobs() == 1
    manifest = api.get(kick["Content-Location"].replace("http://testserver", "")).json()
    found = {}
    for item in manifest["output"]:
        lines = api.get(item["url"].replace("http://testserver", "")).getvalue().decode().splitlines()
        found[item["type"]] = [json.loads(line)["id"] for line in lines]
    return found


@pytest.fixture
def one_old_one_new(django_capture_on_commit_callbacks):
    """An old chart (kept an hour ago) whose condition changed now, and a chart made now."""
    with django_capture_on_commit_callbacks(execute=True):
        old = make_chart("Ana", "Lopez")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    VersionKeeping.objects.update(started_at=an_hour_ago - timedelta(hours=1))
    ResourceVersion.objects.update(last_updated=an_hour_ago)
    with django_capture_on_commit_callbacks(execute=True):
        do_change_condition_status(old.condition, clinical_status="resolved", verification_status="confirmed",
                                   abatement_at=None, expected_revision=1,
                                   acting_user=factories.make_user("provider"))
    with django_capture_on_commit_callbacks(execute=True):
        new = make_chart("Bea", "Novak")
    return old, new


def _half_an_hour_ago() -> str:
    return quote((timezone.now() - timedelta(minutes=30)).replace(microsecond=0).isoformat())


def test_system_export_since_holds_only_what_changed(fhir_as, one_old_one_new, run_jobs):
    old, new = one_old_one_new
    api = fhir_as("him_manager", scopes=("system/*.read",))
    found = _exported(api, f"/fhir/$export?_since={_half_an_hour_ago()}", run_jobs)
    assert found["Patient"] == [str(new.patient.pk)]
    assert sorted(found["Condition"]) == sorted([str(old.condition.pk), str(new.condition.pk)])
    assert found["Encounter"] == [str(new.encounter.pk)]
    assert found["Procedure"] == [str(new.procedure.pk)]
    everything = _exported(api, "/fhir/$export", run_jobs)
    assert sorted(everything["Patient"]) == sorted([str(old.patient.pk), str(new.patient.pk)])


def test_group_and_patient_exports_since_apply_it_too(fhir_as, one_old_one_new, run_jobs):
    old, new = one_old_one_new
    out = io.StringIO()
    call_command("interop", "group", "cohort", old.patient.mrn, new.patient.mrn, stdout=out)
    group_id = out.getvalue().split()[1]
    since = _half_an_hour_ago()
    group = _exported(fhir_as("him_manager"), f"/fhir/Group/{group_id}/$export?_type=Patient,Condition&_since={since}",
                      run_jobs)
    assert group["Patient"] == [str(new.patient.pk)]
    assert sorted(group["Condition"]) == sorted([str(old.condition.pk), str(new.condition.pk)])
    mine = fhir_as("interface", scopes=("patient/*.read",), patient=old.patient)
    found = _exported(mine, f"/fhir/Patient/$export?_since={since}", run_jobs)
    assert found == {"Condition": [str(old.condition.pk)]}


def test_an_instant_before_version_keeping_began_exports_everything(fhir_as, one_old_one_new, run_jobs):
    old, new = one_old_one_new
    unversioned = make_chart("Cleo", "Park")  # never committed: as if it predated version keeping
    api = fhir_as("him_manager", scopes=("system/*.read",))
    three_hours_ago = quote((timezone.now() - timedelta(hours=3)).replace(microsecond=0).isoformat())
    found = _exported(api, f"/fhir/$export?_type=Patient&_since={three_hours_ago}", run_jobs)
    assert sorted(found["Patient"]) == sorted(str(chart.patient.pk) for chart in (old, new, unversioned))
    later = _exported(api, f"/fhir/$export?_type=Patient&_since={_half_an_hour_ago()}", run_jobs)
    assert later["Patient"] == [str(new.patient.pk)]


def test_an_unencoded_plus_in_the_time_zone_is_still_read(fhir_as, one_old_one_new, run_jobs):
    _, new = one_old_one_new
    moment = (timezone.now() - timedelta(minutes=30)).astimezone(timezone.get_fixed_timezone(60))
    api = fhir_as("him_manager", scopes=("system/*.read",))
    found = _exported(api, f"/fhir/$export?_type=Patient&_since={moment.replace(microsecond=0).isoformat()}",
                      run_jobs)
    assert found["Patient"] == [str(new.patient.pk)]


@pytest.mark.parametrize("since", ["2026-01-31", "yesterday", "2026-01-31T09:00:00", "2026-02-30T09:00:00Z",
                                   "2026-01-31T25:00:00Z", ""])
def test_a_malformed_since_is_a_400_naming_it_and_starts_nothing(fhir_as, since):
    api = fhir_as("him_manager", scopes=("system/*.read",))
    for path in ("/fhir/$export", "/fhir/Patient/$export"):
        response = api.get(f"{path}?_since={quote(since)}", Prefer="respond-async")
        assert response.status_code == 400, (since, response.content)
        issue = response.json()["issue"][0]
        assert issue["expression"] == ["_since"]
        assert "FHIR instant" in issue["diagnostics"]
    assert not ExportJob.objects.exists()


# No timing checks: the machine running the suite may be busy, and speed belongs to bench/.
UNTIMED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@UNTIMED
@given(moment=st.datetimes(timezones=st.builds(timezone.get_fixed_timezone, st.integers(-14 * 60, 14 * 60))))
def test_every_instant_written_with_seconds_reads_back_as_the_same_moment(moment):
    written = moment.replace(microsecond=0).isoformat()
    assert parse_instant(written, "_since") == moment.replace(microsecond=0)


@UNTIMED
@given(text=st.text(max_size=40))
def test_any_text_is_an_instant_or_a_search_error_naming_since(text):
    try:
        parsed = parse_instant(text, "_since")
    except SearchError as refused:
        assert refused.parameter == "_since"
    else:
        assert parsed.tzinfo is not None
