"""`chartdesk demo-data` and `chartdesk demo-logins` on a real installation (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
import re

import pytest

from chartdesk.accounts.roles import ROLES, SANDBOX_ONLY_ROLES

# Everything production mode asks for, so that the demo commands themselves are what refuses.
SAFE_PRODUCTION = {
    "CHARTDESK_MODE": "production",
    "CHARTDESK_SECRET_KEY": "production-secret-" + "x" * 40,
    "CHARTDESK_AUDIT_KEY": "3f9c2a7be01d4c5a9e8f7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928",
    "CHARTDESK_FIELD_KEY": "8293a4b5c6d7e8f90a1b2c3d4e5f6071829304a5b6c7d8e9f0a1b2c3d4e5f6a7",
    "CHARTDESK_HTTPS": "1",
}

SUMMARY = """
import json
from collections import Counter
from django.contrib.auth import get_user_model
from chartdesk.accounts.roles import role_of
from chartdesk.charts.models import Addendum, Document, Encounter, OverlayCase, Provider
from chartdesk.patients.models import Patient, PatientIdentifier
from chartdesk.schedule.models import Appointment
users = {u.username: role_of(u) for u in get_user_model().objects.all()}
print(json.dumps({
    "patients": Patient.objects.count(),
    "restrictions": sorted(Patient.objects.exclude(restriction="").values_list("restriction", flat=True)),
    "users": users,
    "classes": sorted(set(Encounter.objects.values_list("encounter_class", flat=True))),
    "statuses": dict(Counter(Document.objects.values_list("status", flat=True))),
    "addenda": Addendum.objects.count(),
    "appointments": sorted({a.day.isoformat() for a in Appointment.objects.filter(status="booked")}),
    "npis": list(Provider.objects.values_list("npi", flat=True)),
    "mbis": list(PatientIdentifier.objects.filter(type="MC").values_list("value", flat=True)),
    "overlays": sorted(OverlayCase.objects.filter(status="open").values_list("patient__mrn", flat=True)),
    "patients_by_mrn": {p.mrn: [p.given_name, p.family_name, p.birth_date.isoformat()] for p in Patient.objects.all()},
}))
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, migrated_template):
    """One installation loaded with 30 demo patients, shared by the read-only tests below."""
    from tests.ops.deployment import ON_POSTGRES, drop_postgres_database, postgres_deployment, sqlite_deployment

    root = tmp_path_factory.mktemp("demo")
    if ON_POSTGRES:
        deployment, name = postgres_deployment(root / "site", template=migrated_template)
    else:
        deployment, name = sqlite_deployment(root / "site", template=migrated_template), None
    output = deployment.chartdesk("demo-data", "--patients", "30", "--seed", "5").stdout
    summary = json.loads(deployment.python(SUMMARY))
    yield deployment, output, summary
    if name:
        drop_postgres_database(name)


def test_demo_data_creates_the_requested_number_of_patients(loaded):
    _, output, summary = loaded
    assert summary["patients"] == 30
    assert "Loaded 30 patients" in output


def test_demo_data_books_appointments_for_the_coming_weekdays(loaded):
    import datetime

    _, _, summary = loaded
    today = datetime.date.today()
    coming = {(today + datetime.timedelta(days=n)).isoformat() for n in range(1, 6)
              if (today + datetime.timedelta(days=n)).weekday() < 5}
    assert set(summary["appointments"]) == coming


def test_demo_data_creates_one_user_per_role_named_by_the_role(loaded):
    _, _, summary = loaded
    for role in ROLES:
        if role.slug in SANDBOX_ONLY_ROLES:  # a trainee exists only inside a training sandbox
            assert role.slug not in summary["users"]
            continue
        assert summary["users"][role.slug] == role.slug


def test_demo_data_plants_duplicates_the_desk_can_find(loaded):
    _, output, summary = loaded
    planted = re.findall(
        r"planted duplicate \((typo|nickname|swapped birth date)\): MRN (\S+) is the same person as MRN (\S+)", output
    )
    assert sorted(kind for kind, _, _ in planted) == ["nickname", "swapped birth date", "typo"]
    people = summary["patients_by_mrn"]
    for kind, duplicate, original in planted:
        given, family, born = people[duplicate]
        original_given, original_family, original_born = people[original]
        if kind == "typo":
            assert (given, born) == (original_given, original_born) and family != original_family
        elif kind == "nickname":
            assert (family, born) == (original_family, original_born) and given != original_given
        else:
            assert born[:4] == original_born[:4] and born[5:7] == original_born[8:10]


def test_demo_data_plants_overlays_for_the_him_managers_list(loaded):
    _, _, summary = loaded
    assert len(summary["overlays"]) == 2 and set(summary["overlays"]) <= set(summary["patients_by_mrn"])


def test_demo_data_restricts_vip_employee_and_sensitive_charts(loaded):
    _, output, summary = loaded
    assert sorted(set(summary["restrictions"])) == ["employee", "sensitive", "vip"]
    assert output.count("restricted chart (") == len(summary["restrictions"])


def test_demo_data_writes_encounters_of_every_class_and_documents_in_every_state(loaded):
    _, _, summary = loaded
    assert summary["classes"] == ["emergency", "inpatient", "observation", "outpatient"]
    statuses = summary["statuses"]
    assert statuses.get("preliminary", 0) > 0
    assert statuses.get("final", 0) > 0
    assert statuses.get("entered_in_error") == 1
    assert statuses.get("amended", 0) >= 1
    assert summary["addenda"] >= 1


def test_demo_providers_have_valid_npis_and_older_patients_medicare_mbis(loaded):
    from chartdesk.core.npi import npi_is_valid

    _, _, summary = loaded
    assert summary["npis"] and all(npi_is_valid(npi) for npi in summary["npis"])
    assert all(re.fullmatch(r"[1-9][A-Z][A-Z0-9][0-9][A-Z][A-Z0-9][0-9][A-Z]{2}[0-9]{2}", m) for m in summary["mbis"])


def test_demo_data_with_if_empty_leaves_a_database_with_patients_alone(loaded):
    deployment, _, _ = loaded
    again = deployment.chartdesk("demo-data", "--patients", "5", "--if-empty")
    assert "already holds 30 patients; no demo data added" in again.stdout
    assert json.loads(deployment.python(SUMMARY))["patients"] == 30


def test_demo_data_without_if_empty_refuses_a_database_that_has_records(loaded):
    deployment, _, _ = loaded
    refused = deployment.chartdesk("demo-data", "--patients", "5", check=False)
    assert refused.returncode == 1
    assert "only into an empty database" in refused.stderr


def test_demo_logins_lists_every_role_with_the_password_and_address(loaded):
    from chartdesk.core.demo.load import DEMO_PASSWORD

    deployment, _, _ = loaded
    shown = deployment.chartdesk("demo-logins", "--url", "http://127.0.0.1:8123/").stdout
    assert "http://127.0.0.1:8123/" in shown
    assert DEMO_PASSWORD in shown
    for role in ROLES:
        if role.slug in SANDBOX_ONLY_ROLES:
            continue
        assert re.search(rf"^\s+{re.escape(role.slug)}\s+{re.escape(role.label)}", shown, re.MULTILINE)


def test_demo_data_and_demo_logins_are_refused_in_production_mode(installation):
    installation.extra_env.update(SAFE_PRODUCTION)

    refused = installation.chartdesk("demo-data", "--patients", "5", check=False)
    assert refused.returncode == 1
    assert "runs only in demo mode" in refused.stderr
    logins = installation.chartdesk("demo-logins", check=False)
    assert logins.returncode == 1
    assert "runs only in demo mode" in logins.stderr
    installation.extra_env["CHARTDESK_MODE"] = "demo"
    assert json.loads(installation.python(SUMMARY))["patients"] == 0


def test_demo_data_refuses_a_patient_count_out_of_range(installation):
    refused = installation.chartdesk("demo-data", "--patients", "0", check=False)
    assert refused.returncode == 1
    assert "--patients must be between 1 and 100,000, not 0" in refused.stderr
