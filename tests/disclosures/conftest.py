"""Fixtures of the release-of-information tests: a chart with signed notes, a valid authorization."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from chartdesk.charts.actions import do_create_note, do_sign_document
from chartdesk.charts.models import DocumentType
from chartdesk.disclosures.actions import do_record_authorization
from tests.support import factories

VALID_ELEMENTS: dict[str, Any] = {
    "information_described": "Discharge summaries and laboratory reports of 2025",
    "discloser": "Chartdesk General Hospital, HIM department",
    "recipient": "Harbor Life Insurance Co.",
    "purpose": "Life insurance application",
    "purposes": ["insurance"],
    "expires_on": None,  # set relative to today in valid_elements()
    "signed_on": None,
    "signature_present": True,
    "signer_name": "Maria Garcia",
    "states_right_to_revoke": True,
    "states_conditioning": True,
    "states_redisclosure": True,
}


def valid_elements(**changes: Any) -> dict[str, Any]:
    today = timezone.localdate()
    elements = {**VALID_ELEMENTS, "expires_on": today + timedelta(days=180), "signed_on": today - timedelta(days=3)}
    elements.update(changes)
    return elements


def fresh(user: Any) -> Any:
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def roi(users: dict[str, Any]) -> Any:
    return users["roi"]


@pytest.fixture
def privacy(users: dict[str, Any]) -> Any:
    return users["privacy_officer"]


@pytest.fixture
def author(users: dict[str, Any]) -> Any:
    factories.make_provider("Ada", "Lovelace", user=users["provider"], credentials="MD")
    return fresh(users["provider"])


def write_signed_note(patient: Any, author: Any, *, title: str, text: str, service_date: date,
                      document_type: str = DocumentType.PROGRESS_NOTE, encounter: Any = None) -> Any:
    document = do_create_note(patient, document_type=document_type, title=title, text=text,
                              service_date=service_date, acting_user=author, encounter=encounter,
                              author=author.provider)
    do_sign_document(document, acting_user=author)
    document.refresh_from_db()
    return document


@pytest.fixture
def chart(patient: Any, author: Any) -> dict[str, Any]:
    """Maria Garcia's chart: a discharge summary, a lab report, and a progress note from an earlier year."""
    today = timezone.localdate()
    return {
        "patient": patient,
        "summary": write_signed_note(patient, author, title="Discharge summary",
                                     service_date=today - timedelta(days=20),
                                     document_type=DocumentType.DISCHARGE_SUMMARY,
                                     text="Admitted for community-acquired pneumonia. Treated with ceftriaxone."),
        "lab": write_signed_note(patient, author, title="Basic metabolic panel",
                                 service_date=today - timedelta(days=19),
                                 document_type=DocumentType.LAB_REPORT, text="Sodium 139, potassium 4.1."),
        "old_note": write_signed_note(patient, author, title="Clinic visit", service_date=today - timedelta(days=400),
                                      text="Seen for a sprained ankle."),
    }


@pytest.fixture
def authorization_for(roi: Any) -> Any:
    def make(patient: Any, **changes: Any) -> Any:
        categories = changes.pop("sensitive_categories", [])
        return do_record_authorization(patient, acting_user=roi, sensitive_categories=categories,
                                       **valid_elements(**changes))

    return make
