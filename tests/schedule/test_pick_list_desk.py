"""The file room's pick list at the desk and in print: each chart to pull with its appointment's
clinic, time and provider, by clinic then time, from appointments in two clinics."""

from __future__ import annotations

import io
from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.filing.actions import do_create_file_room, do_create_paper_chart
from chartdesk.schedule.actions import do_add_template_hours, do_book_appointment, do_create_clinic, do_create_schedule
from tests.support import factories


@pytest.fixture
def two_clinics_tomorrow(schedule: Any, follow_up: Any, users: dict[str, Any]) -> dict[str, Any]:
    """Internal medicine (Grace Hopper) at 10:00 and 08:30; Cardiology (Alan Turing) at 09:00.
    Booked out of clinic order so that neither booking nor filing order gives the expected order."""
    him, desk = users["him_manager"], users["front_desk"]
    cardiology = do_create_clinic(name="Cardiology", time_zone="America/New_York", acting_user=him)
    turing = do_create_schedule(cardiology, provider=factories.make_provider("Alan", "Turing"), acting_user=him)
    for weekday in range(7):
        do_add_template_hours(turing, weekday=weekday, start_time=time(8), end_time=time(17), acting_user=him)
    room = do_create_file_room(facility="General", name="Main", filing_system="terminal-digit", acting_user=him)
    tomorrow = timezone.localdate() + timedelta(days=1)
    booked = {}
    for name, on, at in (("Late", schedule, time(10)), ("Heart", turing, time(9)), ("Early", schedule, time(8, 30))):
        patient = factories.make_patient(name, "Pick")
        chart = do_create_paper_chart(patient, file_room=room, acting_user=him)
        do_book_appointment(patient, schedule=on, visit_type=follow_up, day=tomorrow, start_time=at, acting_user=desk)
        booked[name] = chart
    return {"day": tomorrow, "charts": booked}


def rows_of(html: str) -> list[list[str]]:
    import re

    table = html.split('id="pull"')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_desk_pick_list_shows_clinic_time_and_provider_by_clinic_then_time(two_clinics_tomorrow, users,
                                                                                 client_for):
    charts = two_clinics_tomorrow["charts"]
    page = client_for(users["registrar"]).get(f"/filing/pick-list/?day={two_clinics_tomorrow['day'].isoformat()}")
    assert page.status_code == 200
    assert [row[:5] for row in rows_of(page.content.decode())] == [
        ["Cardiology", "09:00", "Alan Turing, MD", charts["Heart"].barcode, "Pick, Heart"],
        ["Internal medicine", "08:30", "Grace Hopper, MD", charts["Early"].barcode, "Pick, Early"],
        ["Internal medicine", "10:00", "Grace Hopper, MD", charts["Late"].barcode, "Pick, Late"],
    ]


def test_the_printed_pick_list_is_in_the_same_order_with_clinic_headings(two_clinics_tomorrow, users, client_for):
    from pypdf import PdfReader

    charts = two_clinics_tomorrow["charts"]
    printed = client_for(users["him_manager"]).get(
        f"/filing/pick-list/?day={two_clinics_tomorrow['day'].isoformat()}&format=pdf")
    assert (printed.status_code, printed["Content-Type"]) == (200, "application/pdf")
    text = " ".join(PdfReader(io.BytesIO(printed.content)).pages[0].extract_text().split())
    expected = ("Cardiology 09:00 Alan Turing, MD Pick, Heart {Heart} General: Main "
                "Internal medicine 08:30 Grace Hopper, MD Pick, Early {Early} General: Main "
                "10:00 Grace Hopper, MD Pick, Late {Late} General: Main").format(
        **{name: chart.barcode for name, chart in charts.items()})
    assert expected in text, text
    assert AuditEvent.objects.filter(object_type="pick_list", user=users["him_manager"]).count() == 1


@pytest.mark.parametrize("role", ["coder", "billing", "front_desk", "provider"])
def test_roles_that_do_not_track_charts_get_no_pick_list(two_clinics_tomorrow, role, users, client_for):
    day = two_clinics_tomorrow["day"].isoformat()
    client = client_for(users[role])
    for path in (f"/filing/pick-list/?day={day}", f"/filing/pick-list/?day={day}&format=pdf"):
        response = client.get(path)
        assert response.status_code == 403 and b"Pick" not in response.content
    assert not AuditEvent.objects.filter(object_type="pick_list", user=users[role]).exists()
