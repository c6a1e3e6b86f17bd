"""Steps every release test takes: log, process, check and release a request."""

from __future__ import annotations

import io
from typing import Any

from chartdesk.disclosures.actions import (
    do_attach_authorization,
    do_log_request,
    do_release_request,
    do_send_to_quality_check,
    do_start_processing,
    do_verify_identity,
)


def to_quality_check(patient: Any, roi: Any, *, authorization: Any = None, **fields: Any) -> Any:
    request = do_log_request(patient, acting_user=roi, **fields)
    if request.requester_type in ("patient", "representative"):
        do_verify_identity(request, method="Driver's licence checked at the desk", acting_user=roi)
    if authorization is not None:
        do_attach_authorization(request, authorization, acting_user=roi)
    do_start_processing(request, acting_user=roi)
    return do_send_to_quality_check(request, acting_user=roi)


def release(patient: Any, roi: Any, **fields: Any) -> Any:
    return do_release_request(to_quality_check(patient, roi, **fields), acting_user=roi)


def packet_text(packet: Any) -> str:
    from django.core.files.storage import default_storage
    from pypdf import PdfReader

    with default_storage.open(packet.file.name, "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def page_texts(packet: Any) -> list[str]:
    from django.core.files.storage import default_storage
    from pypdf import PdfReader

    with default_storage.open(packet.file.name, "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return [page.extract_text() or "" for page in reader.pages]


PATIENT_ACCESS = {"requester_type": "patient", "requester_name": "Maria Garcia", "purpose": "access"}
