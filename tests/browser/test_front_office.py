"""The front office in Chromium: book from the calendar with the keyboard, check in and check out,
then the file room's pick list and the coding queue fill from it."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SETUP = """
import json
from datetime import time, timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.conf import settings
from chartdesk.filing.actions import do_create_paper_chart
from chartdesk.filing.models import FileRoom
from chartdesk.patients.models import Patient
from chartdesk.schedule.actions import do_add_template_hours, do_create_clinic, do_create_schedule

User = get_user_model()
him = User.objects.get(username="him_manager")
clinic = do_create_clinic(name="Walk-in clinic", time_zone=settings.TIME_ZONE, acting_user=him)
schedule = do_create_schedule(clinic, provider=User.objects.get(username="provider").provider, acting_user=him)
for weekday in range(7):
    do_add_template_hours(schedule, weekday=weekday, start_time=time(0), end_time=time(23, 59), acting_user=him)
papered = set(FileRoom.objects.values_list("charts__patient_id", flat=True))
open_charts = list(Patient.objects.filter(restriction="", status="active", deceased_at=None).order_by("pk"))
with_paper = next(p for p in open_charts if p.pk in papered)
without = next(p for p in open_charts if p.pk not in papered)
print(json.dumps({"schedule": schedule.pk, "tomorrow": (timezone.localdate() + timedelta(days=1)).isoformat(),
                  "today": timezone.localdate().isoformat(), "paper_mrn": with_paper.mrn,
                  "visit_mrn": without.mrn, "visit_family": without.family_name}))
"""


def _book_with_keyboard(page, server, schedule: int, day: str, mrn: str) -> None:
    page.goto(server.url(f"/schedule/calendar/{schedule}/?day={day}"))
    first = page.locator("a.slot.free").first
    first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Book")
    page.get_by_label("Patient MRN").fill(mrn)
    page.get_by_label("Visit type").select_option(label="Follow-up (15 min)")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("status")).to_contain_text("Booked")


def test_book_check_in_check_out_then_pick_list_and_coding_queue_fill(server, page, log_in):
    facts = json.loads(server.python(SETUP).strip().splitlines()[-1])
    log_in(page, "front_desk")
    _book_with_keyboard(page, server, facts["schedule"], facts["tomorrow"], facts["paper_mrn"])
    _book_with_keyboard(page, server, facts["schedule"], facts["today"], facts["visit_mrn"])

    page.get_by_role("link", name="Day sheet").first.click()
    page.get_by_role("link", name=re.compile(facts["visit_family"])).first.click()
    page.get_by_label("Name, date of birth, address and phone confirmed").check()
    page.get_by_label("Insurance confirmed (or self-pay)").check()
    page.get_by_label("Notice of privacy practices acknowledged").check()
    page.get_by_label("Copay collected").fill("15.00")
    page.get_by_role("button", name="Check in").click()
    expect(page.locator("#appointment-status")).to_have_text("Checked in")
    page.get_by_role("button", name="Check out").click()
    expect(page.locator("#appointment-status")).to_have_text("Checked out")

    page.context.clear_cookies()
    log_in(page, "registrar")
    page.goto(server.url(f"/filing/pick-list/?day={facts['tomorrow']}"))
    expect(page.get_by_role("row").filter(has_text="Walk-in clinic")).to_have_count(1)

    page.context.clear_cookies()
    log_in(page, "coder")
    page.goto(server.url("/coding/work/"))
    expect(page.get_by_role("row").filter(has_text=facts["visit_family"]).first).to_be_visible()
