"""Safe Harbor: each of the 18 identifier types planted in structured fields and free text; none survives."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from chartdesk.audit.models import AuditEvent
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.disclosures.deid.export import build_dataset, do_export_deidentified
from chartdesk.disclosures.deid.safe_harbor import RESTRICTED_ZIP3, DatePolicy, TextScrubber, age_band, zip3
from chartdesk.patients.schemas import AddressInput, IdentifierInput
from tests.disclosures.conftest import write_signed_note
from tests.support import factories

# Each planted value, by the identifier type of 164.514(b)(2)(i) it stands for.
PLANTED = {
    "A names": ["Esperanza", "Quintanilla", "Lovelace", "Beatrix"],
    "B geography": ["4417 Juniper Hollow Road", "Pinecrest Falls", "03601", "02139"],
    "C dates": ["1931-07-04", "07/04/1931", "March 14, 2024", "2024-03-14", "14 March 2024"],
    "C age over 89": ["94-year-old", "aged 94"],
    "D phone": ["(617) 555-0142", "617-555-0142"],
    "E fax": ["617.555.0199"],
    "F email": ["esperanza.q@example.org"],
    "G SSN": ["078-05-1120"],
    "H MRN": [],  # the patient's own MRN, added when the patient exists
    "I health plan": ["XKJ448812093"],
    "J account": [],  # the encounter's account number
    "K licence": ["S530-4412-7781"],
    "L vehicle": ["1HGCM82633A004352", "8KZT441"],
    "M device": ["PM-99231-7734"],
    "N URL": ["https://patients.example.org/esperanza"],
    "O IP": ["198.51.100.23"],
    "P biometric": ["FP-7781-2290-AB"],
    "R other code": ["QX-5523-8841"],
}
NOTE = """Esperanza Quintanilla (goes by Beatrix) is a 94-year-old woman, DOB 07/04/1931, seen March 14, 2024.
She lives at 4417 Juniper Hollow Road, Pinecrest Falls, NH 03601; her son lives in Cambridge, MA 02139.
Phone (617) 555-0142, fax 617.555.0199, e-mail esperanza.q@example.org, SSN 078-05-1120, MRN {mrn}.
Member ID XKJ448812093, account number {account}, driver's licence S530-4412-7781.
Arrived by car, VIN 1HGCM82633A004352, plate 8KZT441. Pacemaker serial PM-99231-7734.
Portal https://patients.example.org/esperanza from 198.51.100.23. Fingerprint template ID FP-7781-2290-AB.
Study code QX-5523-8841. Follow-up 14 March 2024 with Dr. Ada Lovelace; aged 94. Labs 2024-03-14."""


@pytest.fixture
def planted(db, author):
    patient = factories.make_patient(
        "Esperanza", "Quintanilla", birth_date=date(1931, 7, 4), preferred_name="Beatrix",
        email="esperanza.q@example.org", ssn="078-05-1120",
        phones=(("home", "6175550142"),),
        addresses=(AddressInput(line1="4417 Juniper Hollow Road", city="Pinecrest Falls", state="NH",
                                postal_code="03601"),),
        identifiers=(IdentifierInput(type="MB", issuer="Acme Health Plan", value="XKJ448812093"),
                     IdentifierInput(type="DL", issuer="NH", value="S530-4412-7781")),
    )
    encounter = factories.make_encounter(patient, admit_at=timezone.make_aware(datetime(2024, 3, 14, 9, 30)),
                                         reason="Fall at home, Pinecrest Falls")
    text = NOTE.format(mrn=patient.mrn, account=encounter.account_number)
    write_signed_note(patient, author, title="History", text=text, service_date=date(2024, 3, 14),
                      encounter=encounter)
    values = {**PLANTED, "H MRN": [patient.mrn], "J account": [encounter.account_number]}
    return patient, values


def all_output(files):
    return "\n".join(files.values())


@pytest.mark.parametrize("date_mode", ["year", "shift"])
def test_no_planted_identifier_survives_the_export(planted, date_mode):
    patient, values = planted
    output = all_output(build_dataset([patient], date_mode=date_mode))
    survivors = {kind: value for kind, planted_values in values.items() for value in planted_values
                 if value.lower() in output.lower()}
    assert survivors == {}
    digits = re.sub(r"\D", "", output)
    assert "0780511" not in digits and "6175550142" not in digits


def test_the_structured_record_keeps_only_what_safe_harbor_allows(planted):
    patient, _ = planted
    files = build_dataset([patient], date_mode="year")
    assert files["patients.csv"].splitlines() == [
        "research_id,sex,age,birth_year,deceased,state,zip3,encounters,documents",
        "R00001,F,90+,,,NH,000,1,1",
    ]
    encounter_row = files["encounters.csv"].splitlines()[1]
    assert encounter_row.startswith("R00001,1,outpatient,2024,")
    assert "[CITY]" in encounter_row


def test_shifted_dates_move_every_date_of_a_patient_by_the_same_days(planted):
    patient, _ = planted
    files = build_dataset([patient], date_mode="shift")
    encounter_row = files["encounters.csv"].splitlines()[1].split(",")
    document_row = files["documents.csv"].splitlines()[1].split(",")
    admitted = date.fromisoformat(encounter_row[3])
    assert document_row[4] == admitted.isoformat()  # the note and the visit share a day before and after
    assert admitted != date(2024, 3, 14)
    assert build_dataset([patient], date_mode="shift")["encounters.csv"] == files["encounters.csv"]


@pytest.mark.parametrize(("code", "expected"), [("03601", "000"), ("05901-1234", "000"), ("89301", "000"),
                                                ("02139", "021"), ("6270", "000"), ("", "000")])
def test_three_digit_zip_rule(code, expected):
    assert zip3(code) == expected


def test_the_seventeen_restricted_areas_are_listed():
    assert len(RESTRICTED_ZIP3) == 17


@pytest.mark.parametrize(("age", "shown"), [(0, "0"), (89, "89"), (90, "90+"), (104, "90+")])
def test_ages_over_89_become_90_plus(age, shown):
    assert age_band(age) == shown


@pytest.mark.parametrize(("text", "expected"), [
    ("Seen 03/15/2024.", "Seen 2024."),
    ("Seen 2024-03-15T10:30.", "Seen 2024."),
    ("Seen on March 15th, 2024.", "Seen on 2024."),
    ("BP 120/80, pain 7/10.", "BP 120/80, pain 7/10."),
    ("A 91 yo man.", "A 90+ yo man."),
    ("An 89-year-old man.", "An 89-year-old man."),
    ("Call 555-123-4567 ext 22.", "Call [PHONE]."),
    ("Mother: Rosa Alvarez called.", "Mother: [NAME] called."),
])
def test_free_text_examples(text, expected):
    assert TextScrubber().scrub(text) == expected


def test_a_shift_keeps_the_interval_between_two_dates():
    scrubbed = TextScrubber(dates=DatePolicy("shift", -40)).scrub("Admitted 2024-03-01, discharged 2024-03-05.")
    assert scrubbed == "Admitted 2024-01-21, discharged 2024-01-25."


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_the_scrubber_never_fails_on_any_text(text):
    assert isinstance(TextScrubber(known_names=["Maria"]).scrub(text), str)


@settings(max_examples=40, deadline=None)
@given(st.from_regex(r"(\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4}", fullmatch=True))
def test_any_us_phone_number_is_removed(number):
    assert TextScrubber().scrub(f"Call {number} today") == "Call [PHONE] today"


def test_the_export_is_audited_per_patient_and_refused_to_the_roi_specialist(planted, privacy, roi):
    patient, _ = planted
    files = do_export_deidentified([patient.mrn], date_mode="year", acting_user=privacy)
    assert set(files) == {"patients.csv", "encounters.csv", "documents.csv", "dataset.ndjson"}
    assert AuditEvent.objects.filter(action="export", object_type="deidentified_export",
                                     patient_id=patient.pk).count() == 1
    with pytest.raises(PermissionRefused):
        do_export_deidentified([patient.mrn], date_mode="year", acting_user=roi)


def test_an_unknown_mrn_is_named_and_nothing_is_exported(planted, privacy):
    patient, _ = planted
    with pytest.raises(ChartdeskError, match="No patient with MRN 123"):
        do_export_deidentified([patient.mrn, "123"], date_mode="year", acting_user=privacy)
    assert not AuditEvent.objects.filter(object_type="deidentified_export").exists()


def test_the_command_writes_csv_and_ndjson(planted, tmp_path):
    patient, values = planted
    call_command("deid", "export", "--patients", patient.mrn, "--out", str(tmp_path / "out"))
    written = {path.name: path.read_text() for path in (tmp_path / "out").iterdir()}
    assert sorted(written) == ["dataset.ndjson", "documents.csv", "encounters.csv", "patients.csv"]
    assert "Quintanilla" not in all_output(written)


def test_the_text_command_prints_the_deidentified_text(tmp_path, capsys, db):
    note = tmp_path / "note.txt"
    note.write_text("Seen 03/15/2024 by Dr. Rivera, phone 617-555-0142, ssn 078-05-1120.\n")
    call_command("deid", "text", str(note))
    assert capsys.readouterr().out.strip() == "Seen 2024 by Dr. [NAME], phone [PHONE], ssn [SSN]."


def test_the_desk_page_queues_a_job_whose_zip_only_its_requester_downloads(planted, privacy, client_for, run_jobs):
    import io
    import zipfile

    from chartdesk.jobs.models import Job

    patient, _ = planted
    client = client_for(privacy)
    response = client.post("/disclosures/deidentified/", {"patients": patient.mrn, "date_mode": "year"})
    assert (response.status_code, response["Location"]) == (302, "/jobs/")
    job = Job.objects.get()
    assert (job.title, job.status, job.arguments) == ("De-identified export of 1 patient", "queued",
                                                      {"mrns": [patient.mrn], "date_mode": "year"})
    link = f"/disclosures/deidentified/{job.pk}/download/"
    assert client.get(link).status_code == 404  # not built yet
    assert run_jobs() == 1
    job.refresh_from_db()
    assert (job.status, job.percent) == ("succeeded", 100)
    assert f'href="{link}"' in client.get("/jobs/").content.decode()
    download = client.get(link)
    assert (download.status_code, download["Content-Type"]) == (200, "application/zip")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert sorted(archive.namelist()) == ["dataset.ndjson", "documents.csv", "encounters.csv", "patients.csv"]
    assert "Quintanilla" not in archive.read("dataset.ndjson").decode()
    assert AuditEvent.objects.filter(action="download", object_type="deidentified_export",
                                     object_id=str(job.pk), user=privacy).count() == 1
    assert AuditEvent.objects.filter(action="export", object_type="deidentified_export",
                                     patient_mrn=patient.mrn).count() == 1
    other_officer = factories.make_user("privacy_officer")
    assert client_for(other_officer).get(link).status_code == 404
    assert client_for(factories.make_user("him_manager")).get(link).status_code == 403


def test_the_desk_page_refuses_an_unknown_mrn_and_queues_nothing(planted, privacy, client_for):
    from chartdesk.jobs.models import Job

    response = client_for(privacy).post("/disclosures/deidentified/", {"patients": "NOPE-1", "date_mode": "year"})
    assert response.status_code == 400
    assert "No patient with MRN NOPE-1." in response.content.decode()
    assert not Job.objects.exists()


def test_an_export_of_a_later_day_keeps_the_age_band(planted):
    patient, _ = planted
    from chartdesk.disclosures.deid.export import deidentify_patient

    record = deidentify_patient(patient, "R1", date_mode="year", staff=set(), today=date.today() + timedelta(days=1))
    assert record["age"] == "90+"
