"""The listener's group is one durable commit: the messages, the chart-completion analysis of the
visits they discharged and the FHIR versions of what they changed commit together, so that the ACK
(sent after that commit) never waits on two more commits.

The test's own transaction never commits, so work left to after the commit (on_commit) would never
run here: finding the analysis and the versions shows they were done inside the group."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chartdesk.charts.models import Encounter
from chartdesk.completion.models import ChartCompletion
from chartdesk.interop.hl7v2.client import ack_code
from chartdesk.interop.hl7v2.listener import MllpServer
from chartdesk.interop.models import ResourceVersion
from chartdesk.interop.system_user import interface_user
from tests.interop.hl7_messages import adt


@pytest.mark.django_db
def test_a_group_commits_its_messages_analysis_and_versions_at_once():
    with ThreadPoolExecutor(max_workers=1) as unused:
        server = MllpServer(interface_user(), port=0, database=unused)
        admit, discharge = adt("A01", "G1"), adt("A03", "G2", discharge="20250602100000")

        answers = server._receive_group([admit.encode(), discharge.encode()])

    assert [ack_code(answer[1:-2].decode()) for answer in answers] == ["AA", "AA"]
    encounter = Encounter.objects.get()
    assert ChartCompletion.objects.filter(encounter=encounter).exists()  # analysed: the visit is discharged
    assert ResourceVersion.objects.filter(resource_type="Encounter", logical_id=str(encounter.pk)).exists()
