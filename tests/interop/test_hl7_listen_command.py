"""`chartdesk hl7 listen` as an installation runs it: its own database thread, on a SQLite file,
keeping one connection from message to message. Each message is committed before its ACK, so the
next message (and another process) sees it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from chartdesk.interop.hl7v2.client import ack_code, send_messages
from tests.interop.hl7_messages import adt
from tests.ops.deployment import free_port, sqlite_deployment


@pytest.mark.timeout(240)
def test_the_listen_command_applies_a_visit_message_by_message_and_acknowledges_each_after_commit(tmp_path):
    site = sqlite_deployment(tmp_path / "site")
    site.migrate()
    port = free_port()
    listener = subprocess.Popen([sys.executable, "-m", "chartdesk", "hl7", "listen", "--port", str(port)],
                                env=site.env, cwd=site.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
    try:
        assert listener.stdout is not None
        assert "Listening for HL7 v2 over MLLP" in listener.stdout.readline()
        admit = adt("A01", "P1")
        acks = send_messages([admit, adt("A08", "P2", family="Nakamura-Ito"),
                              adt("A03", "P3", discharge="20250603120000"), admit], host="127.0.0.1", port=port)
        # A second connection, as a sender reconnecting: the same thread and connection serve it.
        acks += send_messages([adt("A04", "P4", mrn="EXT2002", family="Okafor", given="Chidi", born="19900704",
                                   sex="M", visit="V6001", patient_class="O")], host="127.0.0.1", port=port)
        assert [ack_code(ack) for ack in acks] == ["AA"] * 5
        stored = json.loads(site.python(
            "import json\n"
            "from chartdesk.charts.models import Encounter\n"
            "from chartdesk.interop.models import Hl7Message\n"
            "print(json.dumps({'visits': sorted([e.account_number, e.status, e.patient.family_name] "
            "for e in Encounter.objects.all()), "
            "'messages': [[m.control_id, m.status] for m in Hl7Message.objects.order_by('pk')]}))\n"
        ).strip().splitlines()[-1])
        assert stored["visits"] == [["V5001", "finished", "Nakamura-Ito"], ["V6001", "in_progress", "Okafor"]]
        assert stored["messages"] == [["P1", "accepted"], ["P2", "accepted"], ["P3", "accepted"],
                                      ["P1", "repeated"], ["P4", "accepted"]]
    finally:
        listener.terminate()
        listener.wait(timeout=30)
