from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chartdesk.audit.models import AuditEvent
from chartdesk.patients.models import MergeEvent, Patient, PatientStatus
from tests.support import factories


@pytest.fixture
def him(db):
    return factories.make_user("him_manager", username="hannah")


def run(*args):
    out = StringIO()
    call_command("patients", *args, stdout=out)
    return out.getvalue()


def test_the_merge_command_merges_by_mrn_and_the_unmerge_command_undoes_it(him):
    survivor, retired = factories.make_patient("Ann", "Lee"), factories.make_patient("Anne", "Lee")
    factories.make_encounter(retired)
    out = run("merge", survivor.mrn, retired.mrn, "--reason", "HL7 A40 from registration", "--user", "hannah")
    event = MergeEvent.objects.get()
    assert out.startswith(f"merge #{event.pk}: MRN {retired.mrn} into MRN {survivor.mrn}; moved ")
    assert "charts.Encounter.patient 1" in out
    assert Patient.objects.get(pk=retired.pk).status == PatientStatus.MERGED
    assert set(AuditEvent.objects.filter(object_type="patient_merge").values_list("channel", flat=True)) == {"cli"}

    out = run("unmerge", str(event.pk), "--reason", "Overlay found", "--user", "hannah")
    assert out.startswith(f"merge #{event.pk} undone")
    assert Patient.objects.get(pk=retired.pk).status == PatientStatus.ACTIVE


def test_the_commands_name_what_is_wrong_and_change_nothing(him):
    survivor = factories.make_patient("Ann", "Lee")
    clerk = factories.make_user("registrar", username="rita")
    with pytest.raises(CommandError, match="RETIRED_MRN: no patient has MRN '999'"):
        run("merge", survivor.mrn, "999", "--reason", "x", "--user", "hannah")
    with pytest.raises(CommandError, match="--user: no active user is called 'nobody'"):
        run("merge", survivor.mrn, survivor.mrn, "--reason", "x", "--user", "nobody")
    with pytest.raises(CommandError, match="cannot be merged into itself"):
        run("merge", survivor.mrn, survivor.mrn, "--reason", "x", "--user", "hannah")
    other = factories.make_patient("Anne", "Lee")
    with pytest.raises(CommandError, match=r"permission this needs \(patients.merge_patients\)"):
        run("merge", survivor.mrn, other.mrn, "--reason", "x", "--user", clerk.username)
    with pytest.raises(CommandError, match="MERGE_ID: there is no merge #42"):
        run("unmerge", "42", "--reason", "x", "--user", "hannah")
    assert not MergeEvent.objects.exists()
