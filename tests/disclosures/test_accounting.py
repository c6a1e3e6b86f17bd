"""Accounting of disclosures: six years back, exempt disclosures left out, suspensions honoured."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.disclosures.accounting import (
    accounting_entries,
    do_extend_accounting,
    do_provide_accounting,
    do_record_disclosure,
    do_request_accounting,
    do_suspend_accounting,
)
from chartdesk.disclosures.models import Disclosure
from tests.disclosures.helpers import PATIENT_ACCESS, release


def at(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, 10, 0))


def disclose(patient, roi, recipient, basis, day, what="Immunization history"):
    return do_record_disclosure(patient, recipient_name=recipient, description=what, purpose="Report required by law",
                                legal_basis=basis, disclosed_at=at(day), acting_user=roi)


def test_exempt_disclosures_are_left_out_of_the_accounting(patient, roi):
    today = timezone.localdate()
    disclose(patient, roi, "County Health Department", "required_by_law", today - timedelta(days=10))
    disclose(patient, roi, "Acme Health Plan", "tpo", today - timedelta(days=9))
    disclose(patient, roi, "Maria Garcia", "to_patient", today - timedelta(days=8))
    disclose(patient, roi, "Harbor Life", "authorization", today - timedelta(days=7))
    disclose(patient, roi, "Federal agency", "national_security", today - timedelta(days=6))
    disclose(patient, roi, "State prison", "correctional", today - timedelta(days=5))
    disclose(patient, roi, "Superior Court", "legal_process", today - timedelta(days=4))

    listed = [disclosure.recipient_name for disclosure in accounting_entries(patient, today)]

    assert listed == ["County Health Department", "Superior Court"]


def test_the_accounting_reaches_back_six_years_and_no_further(patient, roi):
    as_of = date(2026, 6, 1)
    disclose(patient, roi, "Old Registry", "required_by_law", date(2020, 5, 31))
    disclose(patient, roi, "Edge Registry", "required_by_law", date(2020, 6, 1))
    disclose(patient, roi, "New Registry", "required_by_law", date(2026, 5, 1))
    assert [d.recipient_name for d in accounting_entries(patient, as_of)] == ["Edge Registry", "New Registry"]


def test_a_release_to_the_patient_is_recorded_but_not_accounted(chart, roi):
    packet = release(chart["patient"], roi, **PATIENT_ACCESS)
    disclosure = Disclosure.objects.get(request=packet.request)
    assert (disclosure.legal_basis, disclosure.accountable) == ("to_patient", False)
    assert accounting_entries(chart["patient"], timezone.localdate()) == []


def test_a_release_under_a_court_order_is_accounted(chart, roi):
    release(chart["patient"], roi, requester_type="court", requester_name="Superior Court of Lake County",
            purpose="legal", document_types=["18842-5"])
    entries = accounting_entries(chart["patient"], timezone.localdate())
    assert [entry.recipient_name for entry in entries] == ["Superior Court of Lake County"]
    assert entries[0].description.startswith("1 document(s)")


def test_a_written_suspension_hides_disclosures_to_that_agency_while_it_lasts(patient, roi, privacy):
    today = timezone.localdate()
    disclose(patient, roi, "State Medicaid Fraud Unit", "required_by_law", today - timedelta(days=3))
    disclose(patient, roi, "County Health Department", "required_by_law", today - timedelta(days=2))
    do_suspend_accounting(patient, agency_name="state medicaid  fraud unit", statement_in_writing=True,
                          starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=120),
                          reason="Open investigation", acting_user=privacy)

    assert [d.recipient_name for d in accounting_entries(patient, today)] == ["County Health Department"]
    after = today + timedelta(days=121)
    assert [d.recipient_name for d in accounting_entries(patient, after)] == [
        "State Medicaid Fraud Unit", "County Health Department"]


def test_an_oral_suspension_lasts_thirty_days_at_most(patient, privacy):
    today = timezone.localdate()
    with pytest.raises(ChartdeskError, match="at most 30 days"):
        do_suspend_accounting(patient, agency_name="FBI", statement_in_writing=False, starts_on=today,
                              ends_on=today + timedelta(days=31), reason="Investigation", acting_user=privacy)
    suspension = do_suspend_accounting(patient, agency_name="FBI", statement_in_writing=False, starts_on=today,
                                       ends_on=today + timedelta(days=30), reason="Investigation", acting_user=privacy)
    assert suspension.ends_on == today + timedelta(days=30)


def test_only_the_privacy_officer_suspends_accountings(patient, roi):
    today = timezone.localdate()
    with pytest.raises(PermissionRefused):
        do_suspend_accounting(patient, agency_name="FBI", statement_in_writing=True, starts_on=today,
                              ends_on=today, reason="x", acting_user=roi)


def test_an_accounting_request_is_due_in_sixty_days_and_the_first_in_a_year_is_free(patient, roi, privacy):
    disclose(patient, roi, "County Health Department", "required_by_law", timezone.localdate() - timedelta(days=1))
    received = timezone.localdate() - timedelta(days=2)
    first = do_request_accounting(patient, acting_user=privacy, received_on=received)
    assert first.due_on == received + timedelta(days=60)
    first = do_provide_accounting(first, acting_user=privacy)
    assert first.fee_cents == 0
    assert [entry["recipient"] for entry in first.provided_entries] == ["County Health Department"]
    second = do_provide_accounting(do_request_accounting(patient, acting_user=privacy), acting_user=privacy)
    assert second.fee_cents == 1000


def test_an_accounting_extends_once_with_a_notice(patient, privacy):
    received = timezone.localdate()
    accounting = do_request_accounting(patient, acting_user=privacy, received_on=received)
    accounting = do_extend_accounting(accounting, notice="Records of a closed clinic are being gathered.",
                                      acting_user=privacy)
    assert accounting.due_on == received + timedelta(days=90)
    with pytest.raises(ChartdeskError, match="already extended once"):
        do_extend_accounting(accounting, notice="Again", acting_user=privacy)


def test_a_disclosure_needs_its_recipient_and_basis(patient, roi):
    with pytest.raises(ChartdeskError) as refused:
        do_record_disclosure(patient, recipient_name=" ", description="x", purpose="y", legal_basis="tpo",
                             acting_user=roi)
    assert refused.value.field == "recipient_name"
    with pytest.raises(ChartdeskError) as refused:
        do_record_disclosure(patient, recipient_name="A", description="x", purpose="y", legal_basis="gossip",
                             acting_user=roi)
    assert refused.value.field == "legal_basis"
