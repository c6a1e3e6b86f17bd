"""Fixtures of the legal-record tests: a signing provider, notes in each state, and real small files."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chartdesk.charts.actions import do_create_note, do_sign_document
from chartdesk.charts.models import DocumentType
from tests.support import factories


def pdf_bytes(pages: int = 2) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(image_format: str, frames: int = 1) -> bytes:
    from PIL import Image

    pages = [Image.new("L", (40, 30), color=40 * (n + 1)) for n in range(frames)]
    out = io.BytesIO()
    if frames > 1:
        pages[0].save(out, format=image_format, save_all=True, append_images=pages[1:])
    else:
        pages[0].save(out, format=image_format)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def fresh(user: Any) -> Any:
    """The user re-read, so permissions and the linked provider are not cached."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def yesterday() -> Any:
    return timezone.localdate() - timedelta(days=1)


@pytest.fixture
def author(users: dict[str, Any]) -> Any:
    """The provider-role user, linked to a clinician record (Dr Ada Lovelace, MD)."""
    factories.make_provider("Ada", "Lovelace", user=users["provider"], credentials="MD")
    return fresh(users["provider"])


@pytest.fixture
def other_provider(db: Any) -> Any:
    user = factories.make_user("provider")
    factories.make_provider("Grace", "Hopper", user=user, credentials="DO", npi="1245319599")
    return fresh(user)


@pytest.fixture
def encounter(patient: Any, users: dict[str, Any]) -> Any:
    return factories.make_encounter(patient, "inpatient", admit_at=timezone.now() - timedelta(days=3),
                                    acting_user=users["registrar"])


@pytest.fixture
def draft(patient: Any, author: Any, encounter: Any, yesterday: Any) -> Any:
    return do_create_note(
        patient,
        document_type=DocumentType.PROGRESS_NOTE,
        title="Day 2 progress",
        text="Afebrile.\nAmbulating.\nPlan: continue antibiotics.",
        service_date=yesterday,
        acting_user=author,
        encounter=encounter,
        author=author.provider,
    )


@pytest.fixture
def signed(draft: Any, author: Any) -> Any:
    return do_sign_document(draft, acting_user=author)


@pytest.fixture
def restricted_patient(users: dict[str, Any]) -> Any:
    from chartdesk.patients.actions import do_set_restriction

    secret = factories.make_patient("Vera", "Important", sex="F")
    return do_set_restriction(secret, restriction="vip", note="board member", acting_user=users["him_manager"])
