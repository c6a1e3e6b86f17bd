from datetime import date

import pytest
from django.db import connection

from chartdesk.core.crypto import decrypt_text, encrypt_text, keyed_digest
from chartdesk.core.errors import RecordNeverDeleted
from chartdesk.patients.actions import do_reveal_ssn
from chartdesk.patients.models import MrnSequence, Patient
from chartdesk.patients.mrn import allocate_mrns, format_mrn, is_valid_mrn, luhn_check_digit, mrn_for_serial
from tests.support import factories


def test_the_check_digit_is_the_luhn_digit_of_the_seven_digit_serial():
    assert luhn_check_digit("7992739871") == "3"  # the textbook Luhn example
    assert mrn_for_serial(1_000_001) == "10000016"
    assert is_valid_mrn("10000016")
    assert is_valid_mrn("1000001-6")


def test_a_single_mistyped_digit_or_swapped_neighbours_fail_the_check():
    assert not is_valid_mrn("10000017")
    assert not is_valid_mrn("10000106")
    assert not is_valid_mrn("1000016")
    assert not is_valid_mrn("1000001A")


def test_format_mrn_sets_the_check_digit_apart():
    assert format_mrn("10000016") == "1000001-6"


@pytest.mark.django_db
def test_registration_allocates_consecutive_mrns_that_pass_the_check():
    first = factories.make_patient("Ana", "Silva")
    second = factories.make_patient("Ben", "Okafor")
    assert len(first.mrn) == 8 and is_valid_mrn(first.mrn) and is_valid_mrn(second.mrn)
    assert int(second.mrn[:7]) == int(first.mrn[:7]) + 1


@pytest.mark.django_db
def test_mrns_are_never_reused_because_patients_are_never_deleted_and_the_counter_only_grows():
    patient = factories.make_patient("Ana", "Silva")
    with pytest.raises(RecordNeverDeleted):
        patient.delete()
    last = MrnSequence.objects.get().last_serial
    assert allocate_mrns(3) == [mrn_for_serial(last + 1), mrn_for_serial(last + 2), mrn_for_serial(last + 3)]
    assert patient.mrn not in allocate_mrns(5)
    assert MrnSequence.objects.get().last_serial == last + 8


def test_encrypted_text_round_trips_and_differs_each_time():
    first, second = encrypt_text("123456789"), encrypt_text("123456789")
    assert first != second and "123456789" not in first
    assert decrypt_text(first) == "123456789"
    assert keyed_digest("123456789") == keyed_digest("123456789") != keyed_digest("123456780")


@pytest.mark.django_db
def test_the_ssn_is_stored_encrypted_with_its_last_four_and_a_digest_and_shown_masked():
    patient = factories.make_patient("Ana", "Silva", ssn="219-09-9999")
    with connection.cursor() as cursor:
        cursor.execute("SELECT ssn_encrypted, ssn_last4, ssn_digest FROM patients_patient WHERE id = %s", [patient.pk])
        stored, last4, digest = cursor.fetchone()
    assert "219099999" not in stored and "219-09-9999" not in stored and "2190" not in stored
    assert last4 == "9999"
    assert digest == keyed_digest("219099999")
    assert Patient.objects.get(pk=patient.pk).masked_ssn == "***-**-9999"


@pytest.mark.django_db
def test_revealing_the_ssn_formats_it_and_is_an_audited_view(users):
    from chartdesk.audit.models import AuditEvent

    patient = factories.make_patient("Ana", "Silva", birth_date=date(1990, 1, 2), ssn="219099999")
    assert do_reveal_ssn(patient, acting_user=users["registrar"]) == "219-09-9999"
    event = AuditEvent.objects.filter(patient_id=patient.pk, object_type="patient_ssn").get()
    assert event.action == "view" and event.username == users["registrar"].username
    assert "219" not in str(event.detail)
