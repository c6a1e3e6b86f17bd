"""The million-chart benchmarks load their index with bench._mpi_bulk (rows written straight into
the tables); these tests hold it to registration: a bulk-loaded chart has the same rows as one
registered through `do_register_patient`, so search, matching and the duplicate scan see them alike."""

from datetime import date
from typing import Any

import pandas as pd
import pytest
from bench._mpi_bulk import bulk_load
from django.forms.models import model_to_dict

from chartdesk.core.crypto import decrypt_text
from chartdesk.patients.actions import do_register_patient
from chartdesk.patients.duplicates import index_records
from chartdesk.patients.models import Patient, PatientAddress, PatientIdentifier, PatientName, PatientPhone
from chartdesk.patients.schemas import AddressInput, IdentifierInput, PatientRegistration
from chartdesk.patients.search import search_patients
from chartdesk.patients.validation import InvalidField
from tests.support import factories

pytestmark = pytest.mark.django_db

# Differ between any two charts however they were made: identity, MRN, when, and the SSN's random IV.
PER_CHART = {"id", "patient", "mrn", "created_at", "updated_at", "recorded_at", "ssn_encrypted"}


def _frame(**values: Any) -> pd.DataFrame:
    row = {"given_name": " Kateryna ", "family_name": "O'Neil-Smyth", "suffix": "Jr", "birth_date": "1961-04-09",
           "sex": "F", "address_line": "12  Halsted   St", "city": "Chicago", "state": "il", "postal_code": "60614",
           "phone": "(312) 555-0142", "ssn": "219-09-9999", "phone_use": "mobile", "identifier_type": "MB",
           "identifier_issuer": "Aetna", "identifier_value": "w-1234 567"}
    row.update(values)
    return pd.DataFrame([row])


def _registration(**values: Any) -> PatientRegistration:
    fields: dict[str, Any] = dict(
        given_name=" Kateryna ", family_name="O'Neil-Smyth", suffix="Jr", birth_date=date(1961, 4, 9), sex="F",
        ssn="219-09-9999", phones=(("mobile", "(312) 555-0142"),),
        addresses=(AddressInput(line1="12  Halsted   St", city="Chicago", state="il", postal_code="60614"),),
        identifiers=(IdentifierInput(type="MB", issuer="Aetna", value="w-1234 567"),))
    fields.update(values)
    return PatientRegistration(**fields)


def _rows(patient: Patient) -> dict[str, Any]:
    def plain(rows: Any) -> list[dict[str, Any]]:
        return [{k: v for k, v in model_to_dict(row).items() if k not in PER_CHART} for row in rows]

    fresh = Patient.objects.get(pk=patient.pk)
    return {
        "patient": plain([fresh])[0] | {"ssn": decrypt_text(fresh.ssn_encrypted)},
        "names": plain(PatientName.objects.filter(patient=fresh).order_by("pk")),
        "addresses": plain(PatientAddress.objects.filter(patient=fresh).order_by("pk")),
        "phones": plain(PatientPhone.objects.filter(patient=fresh).order_by("pk")),
        "identifiers": plain(PatientIdentifier.objects.filter(patient=fresh).order_by("pk")),
    }


def test_a_bulk_loaded_chart_has_the_rows_registration_writes():
    manager = factories.make_user("him_manager")
    registered = do_register_patient(_registration(), acting_user=manager)
    [loaded_id] = bulk_load(_frame(), user=manager)

    loaded = Patient.objects.get(pk=loaded_id)
    assert _rows(loaded) == _rows(registered)
    assert _rows(loaded)["names"][0]["family_key"] == "oneilsmyth"  # the keys are there, not empty
    assert loaded.mrn != registered.mrn and loaded.pk > registered.pk


def test_an_incomplete_legacy_record_loads_as_the_import_registers_it():
    manager = factories.make_user("him_manager")
    registered = do_register_patient(_registration(birth_date=None, ssn="", phones=(), addresses=(), identifiers=()),
                                     acting_user=manager, allow_incomplete=True)
    [loaded_id] = bulk_load(_frame(birth_date="", ssn="", phone="", address_line="", identifier_value=""),
                            user=manager)

    loaded = Patient.objects.get(pk=loaded_id)
    assert loaded.incomplete_fields == "birth_date"
    assert _rows(loaded) == _rows(registered)


def test_search_and_the_scan_see_a_bulk_loaded_chart_as_a_registered_one():
    manager = factories.make_user("him_manager")
    registrar = factories.make_user("registrar")
    registered = do_register_patient(_registration(), acting_user=manager)
    loaded_ids = bulk_load(pd.concat([_frame(), _frame(given_name="Bohdan", sex="M", ssn="")]), user=manager)

    found = [hit.patient.pk for hit in search_patients(registrar, "O'Neil-Smyth, Kateryna")]
    assert sorted(found) == sorted([registered.pk, loaded_ids[0]])
    records = index_records().set_index("unique_id")
    same = records.loc[str(registered.pk)].to_dict()
    assert records.loc[str(loaded_ids[0])].to_dict() == same
    assert records.loc[str(loaded_ids[1])]["given_name"] == "Bohdan"


def test_new_charts_after_a_bulk_load_get_the_next_ids_and_mrns():
    manager = factories.make_user("him_manager")
    loaded_ids = bulk_load(pd.concat([_frame(), _frame(given_name="Bohdan", sex="M")]), user=manager)
    after = do_register_patient(_registration(given_name="Olena"), acting_user=manager)

    assert after.pk == loaded_ids[-1] + 1
    mrns = list(Patient.objects.filter(pk__in=[*loaded_ids, after.pk]).order_by("pk").values_list("mrn", flat=True))
    assert mrns == sorted(set(mrns))


def test_a_bad_value_loads_nothing():
    manager = factories.make_user("him_manager")
    before = (Patient.objects.count(), PatientName.objects.count())
    with pytest.raises(InvalidField, match="SSN"):
        bulk_load(pd.concat([_frame(), _frame(ssn="123")]), user=manager)
    assert (Patient.objects.count(), PatientName.objects.count()) == before
