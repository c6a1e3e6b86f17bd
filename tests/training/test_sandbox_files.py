"""Files a student stores inside their sandbox (an upload on a chart) go to the sandbox's own folder, not
the data folder, and a sandbox reset removes them with the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.urls import reverse

from chartdesk.charts.models import Document
from chartdesk.patients.models import Patient
from chartdesk.training import sandbox
from chartdesk.training.models import Enrollment
from tests.charts.conftest import pdf_bytes, upload
from tests.support import factories


def _stored(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def _upload_as_student(client: Any, enrollment: Any) -> Any:
    with sandbox.sandbox_database(sandbox.sandbox_path(enrollment.sandbox)):
        patient = Patient.objects.order_by("pk").first()
        assert patient is not None
    return client.post(reverse("charts-upload", kwargs={"patient_id": patient.pk}), {
        "upload": upload("outside.pdf", pdf_bytes(), "application/pdf"), "document_type": "34109-9",
        "title": "Practice scan", "service_date": "2026-01-05"})


def test_an_upload_in_the_sandbox_is_stored_in_its_folder_and_a_reset_removes_it(
        enrollment, student, client_for, _isolated_data_dir, django_capture_on_commit_callbacks):
    client = client_for(student)
    response = _upload_as_student(client, enrollment)
    assert response.status_code == 302, response.content[:500]

    folder = sandbox.files_folder(sandbox.sandbox_path(enrollment.sandbox))
    stored = _stored(folder)
    assert len(stored) == 1 and stored[0].suffix == ".pdf"
    assert stored[0].read_bytes() == pdf_bytes()
    # Nothing of it in the data folder, and no document in the main database.
    assert [path for path in _stored(_isolated_data_dir) if "documents" in path.parts] == []
    assert not Document.objects.filter(title="Practice scan").exists()
    # The sandbox reads its own file back through the desk (checked against its SHA-256 on read).
    with sandbox.sandbox_database(sandbox.sandbox_path(enrollment.sandbox)):
        document = Document.objects.get(title="Practice scan")
        version = document.current_version
        assert version is not None
        version_id = version.pk
    viewed = client.get(reverse("charts-document-file", kwargs={"version_id": version_id}))
    assert viewed.status_code == 200
    body = b"".join(viewed.streaming_content) if viewed.streaming else viewed.content
    assert body == pdf_bytes()

    with django_capture_on_commit_callbacks(execute=True):  # the old sandbox goes once the reset commits
        reset = client.post(f"/training/enrollment/{enrollment.pk}/reset/")
    assert reset.status_code == 302
    assert not folder.exists()
    renewed = Enrollment.objects.get(pk=enrollment.pk)
    assert renewed.sandbox != enrollment.sandbox
    assert _stored(sandbox.files_folder(sandbox.sandbox_path(renewed.sandbox))) == []


def test_files_stored_outside_a_sandbox_still_go_to_the_data_folder(client_for, _isolated_data_dir):
    registrar = factories.make_user("registrar")
    patient = factories.make_patient("Ada", "Outside")
    response = client_for(registrar).post(reverse("charts-upload", kwargs={"patient_id": patient.pk}), {
        "upload": upload("outside.pdf", pdf_bytes(), "application/pdf"), "document_type": "34109-9",
        "title": "Real scan", "service_date": "2026-01-05"})
    assert response.status_code == 302
    assert [path.read_bytes() for path in _stored(_isolated_data_dir) if path.suffix == ".pdf"] == [pdf_bytes()]


def test_with_object_storage_a_sandbox_upload_stays_in_the_sandbox_folder_not_the_bucket(
        s3_storage, enrollment, student, client_for):
    from django.core.files.storage import default_storage

    response = _upload_as_student(client_for(student), enrollment)
    assert response.status_code == 302, response.content[:500]
    stored = _stored(sandbox.files_folder(sandbox.sandbox_path(enrollment.sandbox)))
    assert [path.read_bytes() for path in stored] == [pdf_bytes()]
    # The bucket (Object Lock: nothing in it could be removed for years) holds nothing of it.
    assert list(default_storage.walk()) == []
