"""Messages that can never succeed are answered AE naming the field, never "resend later": impossible
time stamps, control characters, fields or segments repeated past the cap, an A40 merging a patient
into itself. Each leaves nothing behind but the stored message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartdesk.charts.models import Encounter
from chartdesk.interop.hl7v2.intake import receive_message
from chartdesk.interop.models import Hl7Message, InterfaceAlert
from chartdesk.interop.system_user import interface_user
from chartdesk.patients.models import Patient
from tests.interop.hl7_messages import adt

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(db):
    user = interface_user()

    def send(text: str):
        return receive_message(text.encode(), acting_user=user)

    return send


def err(outcome) -> str:
    return next(segment for segment in outcome.ack.split("\r") if segment.startswith("ERR|"))


IMPOSSIBLE = ["20250601083000+9999", "20250601083000-2400", "20250601083000+0560", "20251301083000",
              "20250230083000", "00010101000000+1400", "99991231235959-1400"]


@pytest.mark.parametrize("stamp", IMPOSSIBLE)
@pytest.mark.parametrize(("where", "location"), [
    ("admit", "PV1^1^44"), ("event_time", "EVN^1^2"), ("sent", "MSH^1^7"), ("born", "PID^1^7")])
def test_an_impossible_time_stamp_gets_ae_naming_its_field_and_changes_nothing(feed, stamp, where, location):
    fields = {where: stamp}
    if where in ("event_time", "sent"):
        fields["admit"] = ""  # so that the admit time falls back to EVN-2, then MSH-7
    outcome = feed(adt("A04", "T1", **fields))
    assert outcome.code == "AE"
    assert err(outcome).startswith(f"ERR||{location}|102^")
    assert "resend" not in outcome.ack
    assert Patient.objects.count() == 0 and Encounter.objects.count() == 0
    assert Hl7Message.objects.get().status == "error"


def test_a_time_stamp_keeps_its_own_offset_and_is_stored_in_utc(feed):
    assert feed(adt("A04", "T1", admit="20250601083000-0700")).code == "AA"
    assert Encounter.objects.get().admit_at == datetime(2025, 6, 1, 15, 30, tzinfo=UTC)


def test_a_time_stamp_without_an_offset_takes_msh_7s(feed):
    assert feed(adt("A04", "T1", admit="20250601083000", sent="20250601083500-0700")).code == "AA"
    assert Encounter.objects.get().admit_at == datetime(2025, 6, 1, 15, 30, tzinfo=UTC)


@given(stamp=st.text(alphabet="0123456789+-.", min_size=1, max_size=24))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_admit_time_is_answered_with_anything_but_aa_or_ae_naming_pv1_44(feed, stamp):
    outcome = feed(adt("A04", f"H{abs(hash(stamp))}", admit=stamp, visit=f"V{abs(hash(stamp)) % 10**9}",
                       mrn=f"H{abs(hash(stamp)) % 10**9}"))
    assert outcome.code in ("AA", "AE")
    if outcome.code == "AE":
        assert "ERR||PV1^1^44|" in outcome.ack


@pytest.mark.parametrize("control", ["\x00", "\t", "\x1b", "\x7f", "\x85"])
def test_a_control_character_in_a_name_gets_ae_naming_pid_5(feed, control):
    outcome = feed(adt("A04", "C1", family=f"Naka{control}mura"))
    assert outcome.code == "AE"
    assert err(outcome).startswith("ERR||PID^1^5|102^")
    assert f"U+{ord(control):04X}" in outcome.ack
    assert Patient.objects.count() == 0


def test_a_control_character_elsewhere_names_its_segment_and_field(feed):
    outcome = feed(adt("A04", "C2", visit="V50\x0001"))
    assert err(outcome).startswith("ERR||PV1^1^19|102^")
    assert Patient.objects.count() == 0


def test_a_field_repeated_past_the_cap_gets_ae_naming_it(feed, settings):
    settings.HL7_MAX_REPETITIONS = 5
    identifiers = "~".join(f"EXT{number}^^^MERCY^MR" for number in range(6))
    outcome = feed(adt("A04", "R1", pid=f"PID|1||{identifiers}||Nakamura^Aiko||19720514|F"))
    assert outcome.code == "AE"
    assert err(outcome).startswith("ERR||PID^1^3|207^")
    assert "more than 5" in outcome.ack
    assert Patient.objects.count() == 0


def test_five_repetitions_under_a_cap_of_five_are_accepted(feed, settings):
    settings.HL7_MAX_REPETITIONS = 5
    identifiers = "~".join(f"EXT{number}^^^MERCY^MR" for number in range(5))
    assert feed(adt("A04", "R1", pid=f"PID|1||{identifiers}||Nakamura^Aiko||19720514|F")).code == "AA"
    assert Patient.objects.get().identifiers.count() == 5


def test_a_segment_repeated_past_the_cap_gets_ae_naming_the_first_one_over(feed, settings):
    settings.HL7_MAX_REPETITIONS = 3
    extra = "\r".join(f"NK1|{number}|Nakamura^Ken|SPO" for number in range(1, 5))
    outcome = feed(adt("A04", "R2", extra=extra))
    assert err(outcome).startswith("ERR||NK1^4|207^")
    assert Patient.objects.count() == 0


def test_an_a40_merging_a_patient_into_itself_is_refused_naming_mrg_1(feed):
    feed(adt("A04", "M1"))
    outcome = feed(adt("A40", "M2", extra="MRG|EXT1001^^^MERCY^MR"))
    assert outcome.code == "AE"
    assert err(outcome).startswith("ERR||MRG^1^1|207^")
    assert "merged into itself" in outcome.ack
    assert InterfaceAlert.objects.get().kind == "merge-refused"
    assert Patient.objects.get().status == "active"


def test_an_a40_naming_our_own_mrn_for_both_records_is_refused(feed):
    feed(adt("A04", "M1"))
    mrn = Patient.objects.get().mrn
    outcome = feed(adt("A40", "M2", pid=f"PID|1||{mrn}^^^CHARTDESK^MR||Nakamura^Aiko||19720514|F",
                       extra=f"MRG|{mrn}^^^CHARTDESK^MR"))
    assert outcome.code == "AE"
    assert "merged into itself" in outcome.ack


def test_a_nul_in_the_control_id_is_refused_before_any_query_and_stored_readably(feed):
    outcome = feed(adt("A04", "M\x001"))
    assert outcome.code == "AE"
    assert err(outcome).startswith("ERR||MSH^1^10|102^")
    stored = Hl7Message.objects.get()
    assert stored.control_id == "M\\X00\\1"
    assert "\x00" not in stored.raw and "M\\X00\\1" in stored.raw
    assert "\x00" not in outcome.ack
