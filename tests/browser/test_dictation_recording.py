"""Recording a dictation on the desk: Chromium's fake microphone (a tone) is recorded with MediaRecorder
on the upload page, stopped after a few seconds, and uploaded through the same form as a file; the
dictation reaches the queue with a draft. Without a microphone the page says so and keeps the file field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.test_transcription_editor import SETUP
from tests.transcription.conftest import require_audio_tools

pytestmark = pytest.mark.browser
FAKE_MICROPHONE = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@pytest.fixture
def microphone_page(playwright_driver: Any) -> Iterator[Any]:
    """A page of a Chromium whose microphone is the fake device, granted without asking (launched from the
    run's one Playwright: a second sync Playwright cannot start while the session's runs)."""
    chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + FAKE_MICROPHONE)
    try:
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        context.set_default_timeout(15_000)
        yield context.new_page()
    finally:
        chromium.close()


def test_a_recording_made_on_the_desk_is_uploaded_and_drafted(server, microphone_page, log_in):
    require_audio_tools()
    page = microphone_page
    patient_id, _, author_id = server.python(SETUP).strip().splitlines()[-1].split()
    log_in(page, "transcriptionist")
    page.goto(server.url(f"/transcription/patient/{patient_id}/dictate/"))

    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.locator("#tx-record-status")).to_contain_text("Recording")
    page.wait_for_timeout(3000)
    expect(page.locator("#tx-record-time")).not_to_have_text("0:00")
    page.get_by_role("button", name="Stop").click()
    expect(page.locator("#tx-record-status")).to_contain_text("Recorded")
    name = page.locator("#id_audio").evaluate("node => node.files.length ? node.files[0].name : ''")
    assert name.endswith((".webm", ".ogg"))

    page.get_by_label("Document type").select_option(label="Progress note")
    page.get_by_label("Encounter").select_option(index=1)
    page.get_by_label("Dictating provider").select_option(value=author_id)
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".messages")).to_contain_text("Dictation stored")

    stored = server.python(
        "from chartdesk.transcription.models import Dictation\n"
        f"d = Dictation.objects.get(patient_id={patient_id})\n"
        "print(d.audio_format, d.status, d.document_id is not None, round(d.duration_seconds))\n"
    ).strip().splitlines()[-1]
    audio_format, status, drafted, seconds = stored.rsplit(" ", 3)
    assert audio_format in {"WebM (opus)", "OGG (opus)"}
    assert (status, drafted) == ("draft_ready", "True")
    assert 2 <= int(seconds) <= 6
    page.goto(server.url("/transcription/queue/"))
    expect(page.locator("table.data")).to_contain_text("Progress note")


def test_without_a_microphone_the_page_says_so_and_keeps_the_file_field(server, page, log_in):
    patient_id = server.python(SETUP).strip().splitlines()[-1].split()[0]
    log_in(page, "transcriptionist")
    page.goto(server.url(f"/transcription/patient/{patient_id}/dictate/"))
    page.get_by_role("button", name="Record", exact=True).click()  # no device in the plain browser
    expect(page.locator("#tx-record-status")).to_contain_text("upload a file instead")
    expect(page.get_by_label("Recording", exact=True)).to_be_visible()
