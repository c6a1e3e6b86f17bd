"""Training in Chromium: a student joins a course with its code, opens a coding exercise, codes it on
the real coding screen inside their sandbox, submits it and reads the grade and the feedback."""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DeskServer

pytestmark = pytest.mark.browser

NEW_COURSE = """
from django.contrib.auth import get_user_model
from chartdesk.training.actions import do_create_course
instructor = get_user_model().objects.get(username="instructor")
course = do_create_course(title="HIT 120 Coding I", seed=5, patients=4, acting_user=instructor)
print(course.join_code)
"""


@pytest.fixture
def server(coded_server: DeskServer) -> DeskServer:
    return coded_server


def add_code(page, words: str, code: str) -> None:
    page.get_by_label("Find a code").fill(words)
    hit = page.locator(f'[data-hit="{code}"]')
    expect(hit).to_be_visible()
    hit.get_by_role("button", name=f"Add {code}").click()
    expect(page.locator(f'[data-diagnosis="{code}"]')).to_be_visible()


def _with_sandbox_template(server: DeskServer, django_db_blocker) -> None:
    """The server's sandbox template, copied from the one the training tests share (same migrations,
    same name), so the student's join does not spend half a minute migrating a new one."""
    from django.test import override_settings

    from chartdesk.training.sandbox import template_path
    from tests.training.conftest import TEMPLATES

    def build() -> Any:
        with override_settings(TRAINING_TEMPLATE_DIR=TEMPLATES), django_db_blocker.unblock():
            return template_path()

    # In a thread of its own: Playwright's event loop is running in this one once a browser fixture is
    # set up, and Django refuses database work from a thread with a running loop (building the template
    # when none is cached migrates one).
    with ThreadPoolExecutor(max_workers=1) as worker:
        template = worker.submit(build).result()
    folder = server.deployment.root / "var" / "training"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, folder / template.name)


def test_a_student_codes_an_exercise_on_the_real_screen_and_reads_the_feedback(server, page, log_in,
                                                                               django_db_blocker):
    _with_sandbox_template(server, django_db_blocker)
    join_code = server.python(NEW_COURSE).strip().splitlines()[-1]
    page.set_default_timeout(60_000)

    log_in(page, "student")
    page.get_by_role("link", name="Training", exact=True).click()
    page.get_by_label("Join code").fill(join_code)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_text("your sandbox is ready")).to_be_visible()

    page.get_by_role("link", name="Diabetes follow-up with hypertension").click()
    page.get_by_role("button", name="Start the exercise").click()
    expect(page.get_by_text("Training sandbox: synthetic patients only")).to_be_visible()
    expect(page.get_by_text("A1c 7.1%").first).to_be_visible()  # the case's note, on the coding screen
    page.get_by_role("button", name="Start coding").click()
    add_code(page, "type 2 diabetes without complications", "E11.9")
    add_code(page, "essential hypertension", "I10")

    page.get_by_role("link", name="Training", exact=True).click()
    page.get_by_role("link", name="in progress: submit").click()
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.locator(".grade")).to_contain_text("Score: 0.75")
    feedback = page.locator("table.feedback")
    expect(feedback).to_contain_text("Principal (first-listed) diagnosis")
    expect(feedback).to_contain_text(re.compile("Missed secondary code: ICD-10-CM Z79.4"))
    expect(feedback).to_contain_text("Long-term insulin use")
