"""A student's desk runs in their own sandbox: no route shows a real patient or another student's
sandbox, and nothing they do changes the main database's patient records."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps

from chartdesk.audit.models import AuditEvent
from chartdesk.core.registry import verify_audit_chain
from chartdesk.patients.models import Patient
from chartdesk.training import actions, sandbox
from chartdesk.training.grading import shipped_exercises
from tests.support import factories
from tests.test_url_map import chartdesk_patterns, fill

PATIENT_APPS = {"patients", "charts", "disclosures", "coding_workflow", "billing", "completion", "filing",
                "transcription", "schedule", "clinical", "interop", "audit", "accounts"}


def _main_row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()
            if model._meta.app_label in PATIENT_APPS}


@pytest.fixture
def real_patient(db: Any) -> Any:
    return factories.make_patient("Zenobia", "Realperson")


def test_a_student_outside_a_sandbox_reaches_no_patient_page(student, real_patient, client_for):
    client = client_for(student)
    assert client.get("/patients/", {"q": "Realperson"}).status_code == 403
    assert client.get(f"/charts/patient/{real_patient.pk}/").status_code == 403


def test_the_student_searches_their_sandbox_not_the_main_index(enrollment, student, real_patient, client_for):
    client = client_for(student)
    page = client.get("/patients/", {"q": "Realperson"})
    assert page.status_code == 200 and real_patient.mrn.encode() not in page.content
    assert b"No patient" in page.content or b"no patient" in page.content
    with sandbox.sandbox_database(sandbox.sandbox_path(enrollment.sandbox)):
        synthetic = Patient.objects.order_by("pk").first()
        assert synthetic is not None and Patient.objects.count() >= 4
        name = synthetic.family_name
    found = client.get("/patients/", {"q": name})
    assert name.encode() in found.content
    # The main database never saw the synthetic patients.
    assert not Patient.objects.filter(family_name=name).exists()
    assert b"Realperson" not in client.get(f"/charts/patient/{real_patient.pk}/").content


def test_no_route_shows_a_real_patient_or_another_sandbox_and_the_main_records_do_not_change(
        course, student, other_student, real_patient, client_for):
    mine = actions.do_join_course(course.join_code, acting_user=student)
    theirs = actions.do_join_course(course.join_code, acting_user=other_student)
    # The other student sets up a case: its patient (Lena Marsh) exists only in their sandbox.
    actions.do_start_attempt(theirs, shipped_exercises()["coding-op-01"], acting_user=other_student)
    with sandbox.sandbox_database(sandbox.sandbox_path(theirs.sandbox)):
        assert Patient.objects.filter(family_name="Marsh").exists()
    client = client_for(student)
    before = _main_row_counts()
    ids = {"patient_id": real_patient.pk}
    for route, _pattern in chartdesk_patterns():
        if route.startswith(("training/", "accounts/")):
            continue
        path = fill(route, ids)
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code < 500, (method, path, response.status_code)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert b"Realperson" not in body, (method, path)
            assert b"Marsh" not in body, (method, path)
    assert _main_row_counts() == before
    assert mine.sandbox != theirs.sandbox


def test_work_in_the_sandbox_is_audited_there_and_both_chains_verify(enrollment, student, client_for):
    client = client_for(student)  # its log-in event is the main trail's
    main_events = AuditEvent.objects.count()
    started = client.post(f"/training/enrollment/{enrollment.pk}/exercise/coding-op-02/")
    client.get(started["Location"])
    # Main: the attempt's own event only; the chart view went to the sandbox's trail.
    assert list(AuditEvent.objects.filter(sequence__gt=main_events).values_list("object_type", flat=True)) == [
        "training_attempt"]
    assert verify_audit_chain().intact
    with sandbox.sandbox_database(sandbox.sandbox_path(enrollment.sandbox)):
        viewed = AuditEvent.objects.filter(user_id=student.pk, action="view")
        assert viewed.exists()
        assert verify_audit_chain().intact


def test_a_reset_gives_a_fresh_sandbox_and_removes_the_old_file(enrollment, student, client_for,
                                                               django_capture_on_commit_callbacks):
    client = client_for(student)
    client.post(f"/training/enrollment/{enrollment.pk}/exercise/coding-op-02/")
    old = sandbox.sandbox_path(enrollment.sandbox)
    with django_capture_on_commit_callbacks(execute=True):  # the old file goes once the reset commits
        response = client.post(f"/training/enrollment/{enrollment.pk}/reset/")
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.resets == 1 and not old.exists()
    with sandbox.sandbox_database(sandbox.sandbox_path(enrollment.sandbox)):
        assert not Patient.objects.filter(family_name="Reyes").exists()


def test_a_password_change_in_the_main_database_holds_in_the_sandbox(enrollment, student, client_for):
    client = client_for(student)
    assert client.get("/patients/").status_code == 200
    student.set_password("a-new-long-passphrase-2026")
    student.save()
    # The session's hash no longer matches: the sandbox's copy took the new password, so it logs off.
    assert client.get("/patients/").status_code == 302
