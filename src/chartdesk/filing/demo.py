"""Demo data of the records area: a terminal-digit file room with shelves, paper volumes for some
patients, tomorrow's expected visits (for the pick list) and one overdue loan.

Called from core's demo loader inside its transaction; everything goes through the actions. The
chart-completion analysis of the demo encounters runs by itself when that transaction commits
(completion.hooks), so providers find their charts to complete.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from chartdesk.filing.actions import (
    do_add_expected_visit,
    do_add_storage_location,
    do_check_out_chart,
    do_create_file_room,
    do_create_paper_chart,
)
from chartdesk.filing.models import LocationKind
from chartdesk.patients.models import Patient, Restriction


def load_records_demo(staff: dict[str, Any], patients: list[Patient]) -> None:
    """Paper charts for every third unrestricted patient; expected visits tomorrow for half of those."""
    him, clerk = staff["him_manager"], staff["registrar"]
    room = do_create_file_room(facility="Chartdesk General", name="Main file room", filing_system="terminal-digit",
                               acting_user=him)
    shelves = [do_add_storage_location(room, kind=LocationKind.SHELF_RANGE, code=f"S-{low:02d}-{low + 49:02d}",
                                       description=f"Terminal-digit sections {low:02d}-{low + 49:02d}",
                                       acting_user=him) for low in (0, 50)]
    do_add_storage_location(room, kind=LocationKind.OFF_SITE_BOX, code="BOX-0001", description="Off-site storage",
                            acting_user=him)
    papered = [patient for patient in patients if patient.restriction == Restriction.NONE][::3]
    tomorrow = timezone.localdate() + timedelta(days=1)
    charts = []
    for index, patient in enumerate(papered):
        section = int(patient.mrn[-3:-1])  # the serial's last two digits: the terminal-digit section
        charts.append(do_create_paper_chart(patient, file_room=room, home_location=shelves[section // 50],
                                            acting_user=clerk))
        if index % 2 == 0:
            do_add_expected_visit(patient, expected_on=tomorrow, kind="appointment", clinic="Internal medicine",
                                  acting_user=clerk)
    if charts:
        loaned_at = timezone.now() - timedelta(days=10)
        do_check_out_chart(charts[-1], borrower="Dr. Demo", department="Quality review", purpose="Peer review",
                           due_at=loaned_at + timedelta(days=3), acting_user=clerk, now=loaned_at)


def filing_demo_stage(run: Any) -> None:
    """Paper records' stage of `chartdesk demo-data`: paper charts, a pick list, an overdue loan."""
    load_records_demo(run.staff, list(run.patients.values()))
