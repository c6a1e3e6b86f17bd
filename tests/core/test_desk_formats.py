"""One way of writing dates, times and error summaries on every desk page (core/templatetags/desk.py)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

import chartdesk
from chartdesk.core.templatetags.desk import desk_date, desk_datetime, desk_utc, error_named
from tests.patients.merge_support import signed_note
from tests.support import factories

SOURCE = Path(chartdesk.__file__).parent


def test_dates_are_iso_and_moments_are_in_the_site_zone_with_the_zone_named():
    moment = datetime(2026, 1, 15, 19, 5, tzinfo=UTC)
    assert desk_date(date(2026, 3, 4)) == "2026-03-04"
    with override_settings(TIME_ZONE="America/Chicago"):
        assert desk_datetime(moment) == "2026-01-15 13:05 CST"
        assert desk_date(datetime(2026, 1, 16, 3, 0, tzinfo=UTC)) == "2026-01-15"  # still the 15th in Chicago
        assert desk_utc(moment) == "2026-01-15 19:05:00 UTC"
    assert desk_date(None) == "" and desk_datetime(None) == ""


def test_no_template_writes_a_date_or_time_its_own_way():
    """Display formats live in one place; a template may still put ISO dates into input values."""
    offenders = []
    for template in SOURCE.rglob("templates/**/*.html"):
        for number, line in enumerate(template.read_text().splitlines(), 1):
            if re.search(r"\|utc\b|\|date:[\"'][^\"']*(m/d|d/m|H:i|N j)", line):
                offenders.append(f"{template.relative_to(SOURCE)}:{number}")
    assert offenders == []


@pytest.mark.django_db
def test_a_signature_shows_the_site_time_with_its_zone(client_for):
    doctor = factories.make_user("provider")
    patient = factories.make_patient("Ana", "Costa")
    document = signed_note(patient, doctor)
    with override_settings(TIME_ZONE="America/Chicago"):
        page = client_for(doctor).get(reverse("charts-document", kwargs={"document_id": document.pk}))
    assert page.status_code == 200
    signed = re.search(r"Signed (\d{4}-\d{2}-\d{2} \d{2}:\d{2} C[SD]T) by", page.content.decode())
    assert signed, "the signature time names the site's zone"


@pytest.mark.django_db
def test_the_audit_report_labels_its_utc_times(client_for):
    doctor = factories.make_user("provider")
    patient = factories.make_patient("Ana", "Costa")
    signed_note(patient, doctor)
    body = client_for(factories.make_user("administrator")).get(
        f"/audit/patient/?patient_id={patient.pk}").content.decode()
    assert re.search(r"<td>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC</td>", body)


@pytest.mark.django_db
def test_merge_comparison_writes_birth_dates_like_every_other_page(client_for):
    him = factories.make_user("him_manager")
    survivor = factories.make_patient("Maria", "Garcia", birth_date=date(1975, 6, 1))
    retired = factories.make_patient("Mary", "Garcia", birth_date=date(1975, 6, 1))
    page = client_for(him).get(reverse("patients-merge-compare",
                                       kwargs={"patient_id": survivor.pk, "duplicate_id": retired.pk}))
    assert "<td>1975-06-01</td><td>1975-06-01</td>" in page.content.decode()


def test_an_error_summary_names_the_field_once():
    assert error_named("Given name: required.", "Given name") == "Given name: required."
    assert error_named("This field is required.", "Reason") == "Reason: This field is required."


@pytest.mark.django_db
def test_the_registration_error_summary_does_not_repeat_the_field_name(client_for):
    response = client_for(factories.make_user("registrar")).post(reverse("patients-register"), {})
    assert response.status_code == 400
    text = response.content.decode()
    assert '<a href="#id_given_name">Given name: required.</a>' in text
    assert "Given name</a>: Given name" not in text and "Given name: Given name" not in text
    assert "Sex: Sex:" not in text
