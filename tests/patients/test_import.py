"""`chartdesk patients import FILE.csv --source NAME`: loading a legacy patient index.

The fixtures are small synthetic files written here (layout: docs/patients-import.md).
"""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from chartdesk.audit.models import AuditEvent
from chartdesk.patients.actions import do_update_demographics
from chartdesk.patients.import_actions import do_load_import_chunk, do_start_import_run
from chartdesk.patients.importing import file_digest, parse_file
from chartdesk.patients.models import ImportRunStatus, Patient, PatientIdentifier, PatientImportRun
from tests.support import factories

HEADER = ("source_id,given_name,middle_name,family_name,birth_date,sex,address_line,city,state,postal_code,"
          "phone,ssn,id:MB:Acme Health Plan\n")
GOOD_ROWS = (
    "A-100,Maria,Luisa,Garcia,1980-03-15,F,12 Oak St,Springfield,IL,62704,(217) 555-0142,123-45-6789,XK1234\n"
    "A-101,,,Okafor,1962-07-01,M,,,,,,,\n"                         # no given name
    "A-102,Henry,,Walsh,,M,,,,,,,\n"                               # no birth date at all
    "A-103,Ruth,,Abernathy,03/1941,female,,,,,,,\n"                # month and year only
    "A-104,Tomas,,Reyes,19991231,m,,,,,2175550199,,\n"
)


@pytest.fixture
def him(db):
    return factories.make_user("him_manager", username="hannah")


def write(tmp_path, body, name="legacy.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def run_import(path, *args, user="hannah"):
    out, err = StringIO(), StringIO()
    call_command("patients", "import", str(path), "--source", "Old Hospital", "--user", user, "--no-progress",
                 *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def source_patient(source_id):
    return PatientIdentifier.objects.get(type="PI", issuer="Old Hospital", value=source_id).patient


def test_a_legacy_file_loads_every_row_and_flags_the_incomplete_ones(him, tmp_path):
    out, _ = run_import(write(tmp_path, GOOD_ROWS))

    assert "5 loaded (3 incomplete), 0 already loaded, 0 conflicts, 0 malformed rows skipped" in out
    maria = source_patient("A-100")
    assert (maria.given_name, maria.middle_name, maria.family_name, maria.birth_date, maria.sex) == (
        "Maria", "Luisa", "Garcia", date(1980, 3, 15), "F")
    assert maria.incomplete_fields == "" and maria.ssn_last4 == "6789"
    assert maria.addresses.get().postal_code == "62704" and maria.phones.get().number == "2175550142"
    assert maria.identifiers.get(type="MB").value == "XK1234"
    assert source_patient("A-101").incomplete_fields == "given_name"
    assert source_patient("A-102").incomplete_fields == "birth_date"
    ruth = source_patient("A-103")
    assert (ruth.birth_date, ruth.birth_date_partial, ruth.incomplete_fields) == (None, "1941-03", "birth_date")
    assert source_patient("A-104").birth_date == date(1999, 12, 31)
    # Each patient was created by the registration action, audited as the importing user.
    created = AuditEvent.objects.filter(action="create", object_type="patient")
    assert created.count() == 5 and set(created.values_list("username", flat=True)) == {"hannah"}
    assert created.get(patient_id=ruth.pk).detail["incomplete"] == ["birth_date"]
    run = PatientImportRun.objects.get()
    assert (run.status, run.last_line, run.counts["loaded"]) == (ImportRunStatus.FINISHED, 6, 5)


def test_malformed_rows_are_all_reported_by_line_and_nothing_is_loaded(him, tmp_path):
    body = GOOD_ROWS + (
        "A-105,Ann,,Lee,1975-02-30,F,,,,,,,\n"                # no 30 February
        "A-106,Bo,,Chen,1980-01-01,Q,,,,,,,\n"                # unknown sex
        "A-107,Cy,,Diaz,1980-01-01,M,1 Elm St,Dayton,ZZ,45402,,,\n"  # no such state
        "A-100,Maria,,Garcia,1980-03-15,F,,,,,,,\n"           # source_id twice in the file
        ",No,,Number,1980-01-01,F,,,,,,,\n"
        "A-108,Too,,Few\n"
    )
    with pytest.raises(CommandError, match="6 problem"):
        run_import(write(tmp_path, body))

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("patients", "import", str(write(tmp_path, body)), "--source", "Old Hospital",
                     "--user", "hannah", "--no-progress", stderr=err)
    reported = err.getvalue()
    assert "line 7: Date of birth: '1975-02-30' is neither a date nor a year" in reported
    assert "line 8: Sex: 'Q' is not one of F, M, X, U." in reported
    assert "line 9: State: 'ZZ' is not a US state" in reported
    assert "line 10: source_id 'A-100' is already on line 2." in reported
    assert "line 11: source_id: required" in reported
    assert "line 12: 4 fields where the header has 13." in reported
    assert Patient.objects.count() == 0
    assert PatientImportRun.objects.count() == 0


def test_skip_bad_loads_the_good_rows_and_lists_the_bad_ones(him, tmp_path):
    out, err = run_import(write(tmp_path, GOOD_ROWS + "A-105,Ann,,Lee,1975-02-30,F,,,,,,,\n"), "--skip-bad")

    assert "skipped line 7: Date of birth" in err
    assert "5 loaded (3 incomplete), 0 already loaded, 0 conflicts, 1 malformed rows skipped" in out
    assert not PatientIdentifier.objects.filter(value="A-105").exists()


@pytest.mark.parametrize("header, problem", [
    ("source_id,given_name,family_name\n", "the header lacks column(s) birth_date"),
    ("source_id,given_name,family_name,birth_date,shoe_size\n", "column 'shoe_size' is not part of the layout"),
    ("source_id,given_name,family_name,birth_date,id:ZZ:Somebody\n", "ZZ is not an identifier type"),
])
def test_a_file_with_a_bad_header_is_refused(him, tmp_path, header, problem):
    path = tmp_path / "bad.csv"
    path.write_text(header + "1,Ann,Lee,1980-01-01\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("patients", "import", str(path), "--source", "Old Hospital", "--user", "hannah",
                     "--no-progress", stderr=err)
    assert problem in err.getvalue()
    assert Patient.objects.count() == 0


def test_a_file_that_is_not_utf8_is_refused(him, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "A-1,José,,Núñez,1980-01-01,M,,,,,,,\n").encode("latin-1"))
    with pytest.raises(CommandError, match="1 problem"):
        run_import(path)
    assert Patient.objects.count() == 0


def test_running_the_same_file_again_changes_nothing(him, tmp_path):
    path = write(tmp_path, GOOD_ROWS)
    run_import(path)
    events = AuditEvent.objects.filter(object_type="patient").count()

    out, _ = run_import(path)

    assert "0 loaded (0 incomplete), 5 already loaded, 0 conflicts" in out
    assert Patient.objects.count() == 5
    assert AuditEvent.objects.filter(object_type="patient").count() == events


def test_a_source_id_loaded_with_different_data_is_reported_not_overwritten(him, tmp_path):
    run_import(write(tmp_path, GOOD_ROWS))

    out, _ = run_import(write(tmp_path, "A-100,Mary,Luisa,Garcia,1980-03-16,F,,,,,,,\n", name="again.csv"))

    assert ("conflict line 2: source_id 'A-100' is already loaded as MRN "
            f"{source_patient('A-100').mrn} with a different given_name, birth_date; not overwritten.") in out
    maria = source_patient("A-100")
    assert (maria.given_name, maria.birth_date) == ("Maria", date(1980, 3, 15))
    assert Patient.objects.count() == 5


def test_an_interrupted_load_continues_after_its_last_committed_line(him, tmp_path):
    path = write(tmp_path, GOOD_ROWS)
    # What a process killed after its first chunk leaves behind: a running run, two rows committed.
    parsed = parse_file(path, source="Old Hospital")
    run, _ = do_start_import_run(source="Old Hospital", file_name=path.name, file_sha256=file_digest(path),
                                 skipped_bad=0, acting_user=him)
    do_load_import_chunk(run, parsed.rows[:2], acting_user=him)

    out, _ = run_import(path, "--chunk-size", "2")

    assert f"import #{run.pk}: continuing after line 3" in out
    assert f"import #{run.pk} from Old Hospital: 5 loaded (3 incomplete), 0 already loaded" in out
    assert Patient.objects.count() == 5
    assert PatientImportRun.objects.get().status == ImportRunStatus.FINISHED


def test_likely_duplicates_found_during_the_load_are_reported(him, tmp_path):
    existing = factories.make_patient("Maria", "Garcia", date(1980, 3, 15), ssn="123-45-6789")

    out, _ = run_import(write(tmp_path, GOOD_ROWS))

    loaded = source_patient("A-100")
    assert f"likely duplicate line 2: MRN {loaded.mrn} is very likely the same person as MRN {existing.mrn}." in out
    assert "1 likely duplicates" in out
    assert loaded.pk != existing.pk  # reported for HIM to merge, never merged by the load


@pytest.mark.parametrize("role", ["registrar", "coder", "privacy_officer"])
def test_only_a_him_manager_may_load_an_index(db, tmp_path, role):
    factories.make_user(role, username="someone")
    with pytest.raises(CommandError, match="patients.import_patients"):
        run_import(write(tmp_path, GOOD_ROWS), user="someone")
    assert Patient.objects.count() == 0


def test_an_unknown_source_name_or_user_is_refused(him, tmp_path):
    with pytest.raises(CommandError, match="--source: name the system"):
        call_command("patients", "import", str(write(tmp_path, GOOD_ROWS)), "--source", "  ", "--user", "hannah")
    with pytest.raises(CommandError, match="no active user"):
        run_import(write(tmp_path, GOOD_ROWS), user="nobody")
    assert Patient.objects.count() == 0


def test_him_finds_incomplete_records_on_their_work_list_and_completes_them(him, client, tmp_path):
    run_import(write(tmp_path, GOOD_ROWS))
    client.force_login(him)

    page = client.get(reverse("patients-incomplete")).content.decode()

    assert "3 records" in page
    henry = source_patient("A-102")
    assert "Walsh, Henry" in page and "date of birth" in page and "1941-03" in page
    assert "Garcia, Maria" not in page
    banner = client.get(reverse("patients-edit", kwargs={"patient_id": henry.pk})).content.decode()
    assert "Incomplete record" in banner and "without: date of birth" in banner

    do_update_demographics(henry, {"birth_date": date(1950, 5, 6)}, expected_revision=henry.revision,
                           acting_user=him)

    henry.refresh_from_db()
    assert henry.incomplete_fields == ""
    assert "Walsh, Henry" not in client.get(reverse("patients-incomplete")).content.decode()
    assert AuditEvent.objects.filter(object_type="incomplete_patients", username="hannah").count() == 2


@pytest.mark.parametrize("role, status", [("registrar", 200), ("him_manager", 200), ("coder", 403),
                                          ("billing", 403), ("roi", 403)])
def test_the_incomplete_work_list_is_for_those_who_may_edit_demographics(db, client, role, status):
    client.force_login(factories.make_user(role))
    assert client.get(reverse("patients-incomplete")).status_code == status


def test_a_row_needs_at_least_one_name(him, tmp_path):
    body = "B-1,Kim,,,1970-01-01,F,,,,,,,\nB-2,,,,1970-01-01,F,,,,,,,\n"
    err = StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("patients", "import", str(write(tmp_path, body)), "--source", "Old Hospital",
                     "--user", "hannah", "--no-progress", stderr=err)
    assert "line 3: Name: a record needs at least a given or a family name." in err.getvalue()

    run_import(write(tmp_path, body), "--skip-bad")

    kim = source_patient("B-1")
    assert (kim.given_name, kim.family_name, kim.incomplete_fields) == ("Kim", "", "family_name")
    assert kim.missing_labels == ["family name"]
