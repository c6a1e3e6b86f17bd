"""Every message of the public sample corpus (tests/data/hl7, origins and licences in its README) is
answered as tests/data/hl7/expected.csv says: applied (AA, the patient registered), or refused with
AE/AR naming the segment and field (ERR-2), changing nothing. Each is sent alone to an empty index,
as the first message a new interface would send; nothing is ever answered with an exception."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from chartdesk.charts.models import Encounter
from chartdesk.interop.hl7v2.intake import receive_message
from chartdesk.interop.models import Hl7Message
from chartdesk.interop.system_user import interface_user
from chartdesk.patients.models import Patient

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parent.parent / "data" / "hl7"
with (CORPUS / "expected.csv").open(newline="") as listing:
    EXPECTED = list(csv.DictReader(listing))
SOURCES = {path.parent.name for path in CORPUS.glob("*/*")}


def test_the_corpus_holds_at_least_sixty_messages_from_four_sources_and_lists_each_once():
    files = sorted(str(path.relative_to(CORPUS)) for path in CORPUS.glob("*/*"))
    assert files == sorted(row["file"] for row in EXPECTED)
    assert len(files) >= 60 and len(SOURCES) >= 4
    readme = (CORPUS / "README.md").read_text()
    assert all(f"`{source}/`" in readme for source in SOURCES)


@pytest.mark.parametrize("row", EXPECTED, ids=[row["file"] for row in EXPECTED])
def test_each_corpus_message_is_answered_as_the_corpus_says(row):
    outcome = receive_message((CORPUS / row["file"]).read_bytes(), acting_user=interface_user())
    segments = outcome.ack.split("\r")
    msa = next(segment for segment in segments if segment.startswith("MSA|")).split("|")
    err = next((segment for segment in segments if segment.startswith("ERR|")), "")
    assert msa[1] == row["ack"]
    assert row["ack_text_contains"] in msa[3]
    assert (err.split("|")[2] if err else "") == row["err_location"]
    stored = Hl7Message.objects.get()
    assert stored.ack_code == row["ack"]
    if row["ack"] == "AA":
        assert stored.status == "accepted"
        assert Patient.objects.count() == 1 and stored.patient_id == Patient.objects.get().pk
    else:
        assert stored.status in ("error", "rejected")
        assert Patient.objects.count() == 0 and Encounter.objects.count() == 0
