"""Patient groups and bulk export requests are written by actions that audit themselves in their
transaction: the event is there after the change, and a change whose event cannot be written
leaves nothing behind."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from chartdesk.audit.models import AuditEvent
from chartdesk.interop import actions as interop_actions
from chartdesk.interop.models import ExportJob, PatientGroup
from tests.interop.records import make_chart

pytestmark = pytest.mark.django_db


def _audit_store_down(*args, **kwargs):
    raise RuntimeError("audit store unavailable")


def test_setting_a_group_records_its_members_before_and_after(capsys):
    ana, bea = make_chart("Ana", "Lopez").patient, make_chart("Bea", "Novak").patient

    call_command("interop", "group", "cohort", ana.mrn, stdout=io.StringIO())
    call_command("interop", "group", "cohort", bea.mrn, stdout=io.StringIO())

    group = PatientGroup.objects.get(name="cohort")
    assert list(group.members.values_list("pk", flat=True)) == [bea.pk]
    created, replaced = AuditEvent.objects.filter(object_type="patient_group").order_by("sequence")
    assert (created.action, created.object_id, created.channel) == ("create", str(group.pk), "cli")
    assert created.detail == {"name": "cohort", "patient_ids": [ana.pk], "patient_ids_before": []}
    assert replaced.action == "update"
    assert replaced.detail == {"name": "cohort", "patient_ids": [bea.pk], "patient_ids_before": [ana.pk]}


def test_a_group_whose_audit_event_fails_is_not_created(monkeypatch):
    ana = make_chart("Ana", "Lopez").patient
    monkeypatch.setattr(interop_actions, "record_event", _audit_store_down)

    with pytest.raises(RuntimeError):
        call_command("interop", "group", "cohort", ana.mrn, stdout=io.StringIO())

    assert not PatientGroup.objects.exists()
    assert not PatientGroup.members.through.objects.exists()


def test_a_group_naming_an_unknown_mrn_changes_nothing():
    ana = make_chart("Ana", "Lopez").patient
    call_command("interop", "group", "cohort", ana.mrn, stdout=io.StringIO())

    with pytest.raises(CommandError, match="No patients with MRN 99999997"):
        call_command("interop", "group", "cohort", "99999997", stdout=io.StringIO())

    assert list(PatientGroup.objects.get().members.all()) == [ana]
    assert AuditEvent.objects.filter(object_type="patient_group").count() == 1


def test_a_bulk_export_request_is_audited_with_its_job(fhir_as):
    api = fhir_as("him_manager", scopes=("system/*.read",))

    kick = api.get("/fhir/$export?_type=Patient", Prefer="respond-async")

    job = ExportJob.objects.get()
    assert kick.status_code == 202 and kick["Content-Location"].endswith(f"/$export-status/{job.pk}")
    event = AuditEvent.objects.get(object_type="fhir_bulk_export", object_id=str(job.pk))
    assert (event.action, event.detail["state"], event.detail["types"]) == ("export", "requested", ["Patient"])
    assert event.user == job.token.client.user


def test_a_bulk_export_request_whose_audit_event_fails_queues_nothing(fhir_as, monkeypatch):
    api = fhir_as("him_manager", scopes=("system/*.read",))
    monkeypatch.setattr(interop_actions, "record_event", _audit_store_down)

    with pytest.raises(RuntimeError):
        api.get("/fhir/$export?_type=Patient", Prefer="respond-async")

    assert not ExportJob.objects.exists()
    assert not AuditEvent.objects.filter(object_type="fhir_bulk_export").exists()
