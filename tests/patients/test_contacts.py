"""Contacts (next of kin, emergency contact): recorded once, replaced rows deactivated, per role."""

from __future__ import annotations

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.core.errors import PermissionRefused
from chartdesk.patients.actions import do_record_contact
from chartdesk.patients.models import PatientContact
from chartdesk.patients.schemas import ContactInput
from chartdesk.patients.validation import InvalidField
from tests.support import factories

pytestmark = pytest.mark.django_db

SPOUSE = ContactInput(role="next_of_kin", name="Ken Nakamura", relationship="Spouse", phone="(217) 555-0199")


@pytest.mark.parametrize("role", ["registrar", "him_manager"])
def test_a_contact_is_recorded_once_and_audited(role):
    patient = factories.make_patient()
    user = factories.make_user(role)
    first = do_record_contact(patient, SPOUSE, acting_user=user)
    again = do_record_contact(patient, SPOUSE, acting_user=user)
    assert first.pk == again.pk
    assert AuditEvent.objects.filter(object_type="patient_contact").count() == 1


def test_a_changed_phone_deactivates_the_old_row():
    patient = factories.make_patient()
    user = factories.make_user("registrar")
    do_record_contact(patient, SPOUSE, acting_user=user)
    do_record_contact(patient, ContactInput(role="next_of_kin", name="Ken Nakamura", relationship="Spouse",
                                            phone="(217) 555-0100"), acting_user=user)
    assert list(PatientContact.objects.order_by("id").values_list("phone", "active")) == [
        ("(217) 555-0199", False), ("(217) 555-0100", True)]


@pytest.mark.parametrize("role", ["coder", "billing", "roi", "provider"])
def test_roles_without_edit_rights_cannot_record_contacts(role):
    patient = factories.make_patient()
    with pytest.raises(PermissionRefused):
        do_record_contact(patient, SPOUSE, acting_user=factories.make_user(role))
    assert PatientContact.objects.count() == 0


@pytest.mark.parametrize(("contact", "field"), [
    (ContactInput(role="next_of_kin", name="  "), "contact_name"),
    (ContactInput(role="landlord", name="Ken"), "contact_role"),
    (ContactInput(role="emergency", name="K" * 161), "contact_name"),
])
def test_bad_contacts_are_refused_naming_the_field(contact, field):
    with pytest.raises(InvalidField) as refused:
        do_record_contact(factories.make_patient(), contact, acting_user=factories.make_user("registrar"))
    assert refused.value.field == field
    assert PatientContact.objects.count() == 0
