from datetime import date

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.core.errors import ConcurrentChange, PermissionRefused
from chartdesk.patients.actions import (
    do_add_address,
    do_add_identifier,
    do_add_other_name,
    do_add_phone,
    do_grant_chart_access,
    do_register_patient,
    do_revoke_chart_access,
    do_set_restriction,
    do_update_demographics,
)
from chartdesk.patients.models import NameUse, Patient, PatientName
from chartdesk.patients.schemas import AddressInput, IdentifierInput, NameInput, PatientRegistration
from chartdesk.patients.validation import InvalidField, InvalidPatientData
from tests.support import factories

REGISTERING_ROLES = {"registrar", "him_manager"}
EDITING_ROLES = {"registrar", "him_manager"}
RESTRICTING_ROLES = {"him_manager", "privacy_officer"}
ALL_ROLES = ["registrar", "coder", "billing", "roi", "transcriptionist", "provider", "him_manager",
             "privacy_officer", "administrator"]


def full_registration(**changes):
    values = dict(
        given_name="Ana", family_name="Silva", middle_name="Maria", birth_date=date(1988, 2, 29), sex="F",
        ssn="219-09-9999", email="ana@example.org", phones=(("mobile", "(217) 555-0142"),),
        addresses=(AddressInput(line1="12 Oak St", city="Springfield", state="il", postal_code="62704"),),
        identifiers=(IdentifierInput(type="MC", issuer="CMS", value="1eg4-te5-mk73"),),
        other_names=(NameInput(family_name="Santos", given_name="Ana", use="maiden"),),
    )
    values.update(changes)
    return PatientRegistration(**values)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_registrars_and_him_managers_may_register(users, role):
    if role in REGISTERING_ROLES:
        assert do_register_patient(full_registration(), acting_user=users[role]).mrn
    else:
        with pytest.raises(PermissionRefused):
            do_register_patient(full_registration(), acting_user=users[role])
        assert Patient.objects.count() == 0


def test_registration_writes_every_part_with_cleaned_values_and_an_audit_event(users):
    patient = do_register_patient(full_registration(), acting_user=users["registrar"])
    official = patient.names.get(use=NameUse.OFFICIAL)
    assert (official.family_key, official.given_key, official.family_phonetic) == ("silva", "ana", "SLF")
    assert patient.names.get(use=NameUse.MAIDEN).family_name == "Santos"
    assert patient.phones.get().number == "2175550142"
    assert patient.addresses.get().state == "IL"
    identifier = patient.identifiers.get()
    assert (identifier.value, identifier.value_key) == ("1EG4TE5MK73", "1EG4TE5MK73")
    assert patient.ssn_last4 == "9999" and patient.created_by == users["registrar"]
    event = AuditEvent.objects.get(action="create", patient_id=patient.pk)
    assert event.detail == {"mrn": patient.mrn}


def test_bad_registrations_name_every_bad_field_and_save_nothing(users):
    bad = full_registration(family_name=" ", ssn="666-01-0001", birth_date=date(1850, 1, 1),
                            phones=(("mobile", "555-0142"),),
                            identifiers=(IdentifierInput(type="MC", issuer="CMS", value="1EG4TE5MK7S"),))
    with pytest.raises(InvalidPatientData) as refused:
        do_register_patient(bad, acting_user=users["registrar"])
    assert set(refused.value.errors) == {"family_name", "ssn", "birth_date", "phone_0", "identifier_value"}
    assert "Family name: required." in refused.value.errors["family_name"]
    assert Patient.objects.count() == 0 and PatientName.objects.count() == 0


def test_a_legal_name_change_keeps_the_old_name_as_a_previous_name_and_audits_field_names_only(users):
    patient = factories.make_patient("Ana", "Silva", ssn="219099999")
    updated = do_update_demographics(patient, {"family_name": "Costa", "ssn": "219-09-8888"},
                                     expected_revision=patient.revision, acting_user=users["registrar"])
    assert updated.family_name == "Costa" and updated.revision == patient.revision + 1
    assert updated.ssn_last4 == "8888"
    previous = updated.names.get(use=NameUse.PREVIOUS)
    assert (previous.family_name, previous.active) == ("Silva", False)
    assert updated.names.get(use=NameUse.OFFICIAL, active=True).family_key == "costa"
    event = AuditEvent.objects.filter(action="update", patient_id=patient.pk).get()
    assert event.detail == {"fields": ["family_name", "ssn"]}
    assert "Silva" not in str(event.detail) and "8888" not in str(event.detail)


def test_a_stale_revision_is_refused_and_changes_nothing(users):
    patient = factories.make_patient("Ana", "Silva")
    do_update_demographics(patient, {"preferred_name": "Annie"}, expected_revision=patient.revision,
                           acting_user=users["registrar"])
    with pytest.raises(ConcurrentChange):
        do_update_demographics(patient, {"given_name": "Anna"}, expected_revision=patient.revision,
                               acting_user=users["him_manager"])
    assert Patient.objects.get(pk=patient.pk).given_name == "Ana"


def test_demographic_changes_are_validated(users):
    patient = factories.make_patient("Ana", "Silva")
    with pytest.raises(InvalidPatientData) as refused:
        do_update_demographics(patient, {"birth_date": date(2999, 1, 1), "email": "nope", "mrn": "1"},
                               expected_revision=patient.revision, acting_user=users["registrar"])
    assert set(refused.value.errors) == {"mrn"}
    with pytest.raises(InvalidPatientData) as refused:
        do_update_demographics(patient, {"birth_date": date(2999, 1, 1), "email": "nope"},
                               expected_revision=patient.revision, acting_user=users["registrar"])
    assert set(refused.value.errors) == {"birth_date", "email"}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_editing_roles_may_change_demographics(users, role):
    patient = factories.make_patient("Ana", "Silva")
    if role in EDITING_ROLES:
        do_update_demographics(patient, {"given_name": "Anna"}, expected_revision=patient.revision,
                               acting_user=users[role])
        assert Patient.objects.get(pk=patient.pk).given_name == "Anna"
    else:
        with pytest.raises(PermissionRefused):
            do_update_demographics(patient, {"given_name": "Anna"}, expected_revision=patient.revision,
                                   acting_user=users[role])


def test_a_new_phone_address_or_identifier_deactivates_the_old_one_of_its_kind(users):
    clerk = users["registrar"]
    patient = do_register_patient(full_registration(), acting_user=clerk)
    do_add_phone(patient, use="mobile", number="217-555-0199", acting_user=clerk)
    do_add_phone(patient, use="home", number="217-555-0100", acting_user=clerk)
    assert sorted(patient.phones.values_list("number", "use", "active")) == [
        ("2175550100", "home", True), ("2175550142", "mobile", False), ("2175550199", "mobile", True)]
    do_add_address(patient, AddressInput(line1="9 Elm Ave", city="Peoria", state="IL", postal_code="61602"),
                   acting_user=clerk)
    assert list(patient.addresses.filter(active=True).values_list("city", flat=True)) == ["Peoria"]
    assert patient.addresses.count() == 2
    do_add_identifier(patient, IdentifierInput(type="MC", issuer="CMS", value="2AC4-TE5-MK74"), acting_user=clerk)
    do_add_identifier(patient, IdentifierInput(type="MB", issuer="Aetna", value="W123456789"), acting_user=clerk)
    assert sorted(patient.identifiers.filter(active=True).values_list("value", flat=True)) == [
        "2AC4TE5MK74", "W123456789"]
    do_add_other_name(patient, NameInput(family_name="Silva-Costa", given_name="Ana", use="alias"), acting_user=clerk)
    assert patient.names.get(use="alias").family_key == "silvacosta"


def test_adding_contacts_refuses_bad_values_and_the_retired_mrn_type(users):
    patient = factories.make_patient("Ana", "Silva")
    with pytest.raises(InvalidField, match="Phone: a US number has 10 digits"):
        do_add_phone(patient, use="mobile", number="12345", acting_user=users["registrar"])
    with pytest.raises(InvalidField, match="ZIP code"):
        do_add_address(patient, AddressInput(line1="1 A St", city="B", state="IL", postal_code="1"),
                       acting_user=users["registrar"])
    with pytest.raises(InvalidField, match="retired MRNs are recorded by a merge"):
        do_add_identifier(patient, IdentifierInput(type="RMRN", issuer="here", value="10000016"),
                          acting_user=users["registrar"])
    with pytest.raises(PermissionRefused):
        do_add_phone(patient, use="mobile", number="217-555-0199", acting_user=users["coder"])
    assert patient.phones.count() == 0 and patient.identifiers.count() == 0


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_him_managers_and_privacy_officers_restrict_charts_and_grant_access(users, role):
    patient = factories.make_patient("Vera", "Important")
    if role in RESTRICTING_ROLES:
        do_set_restriction(patient, restriction="vip", note="board member", acting_user=users[role])
        grant = do_grant_chart_access(patient, users["coder"], reason="coding review", acting_user=users[role])
        do_revoke_chart_access(grant, acting_user=users[role])
        grant.refresh_from_db()
        assert patient.restriction == "vip" and grant.revoked_at is not None
    else:
        with pytest.raises(PermissionRefused):
            do_set_restriction(patient, restriction="vip", acting_user=users[role])
        with pytest.raises(PermissionRefused):
            do_grant_chart_access(patient, users["coder"], reason="coding review", acting_user=users[role])
        assert Patient.objects.get(pk=patient.pk).restriction == ""


def test_an_unknown_restriction_is_refused(users):
    patient = factories.make_patient("Vera", "Important")
    with pytest.raises(InvalidField, match="Restriction"):
        do_set_restriction(patient, restriction="secret", acting_user=users["privacy_officer"])
