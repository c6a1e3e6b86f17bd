"""Dictate -> draft -> edit with the audio -> send -> sign, in Chromium: a transcriptionist uploads a
recording spoken by espeak-ng, clicks a word of the draft (the player seeks there), corrects the text
in the editor, sends it to the author, and the provider signs it, which completes the chart's
deficiency for that unsigned document."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.transcription.conftest import require_audio_tools

pytestmark = pytest.mark.browser

SENTENCE = "The patient is a sixty year old man with chest pain for two days."
CORRECTED = "The patient is a 60-year-old man with chest pain for two days, worse on exertion."

def _until(page: Any, condition: Callable[[], bool], seconds: float = 10) -> None:
    """Poll a condition read from the page (the CSP forbids the string evaluation wait_for_function uses)."""
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the page never reached the expected state")


SETUP = """
from datetime import date, timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from chartdesk.charts.actions import do_discharge_encounter, do_open_encounter
from chartdesk.patients.actions import do_register_patient
from chartdesk.patients.schemas import PatientRegistration

User = get_user_model()
registrar, provider = User.objects.get(username="registrar"), User.objects.get(username="provider")
patient = do_register_patient(PatientRegistration(given_name="Dana", family_name="Dictatest",
                                                  birth_date=date(1960, 3, 3), sex="M"), acting_user=registrar)
stay = do_open_encounter(patient, encounter_class="inpatient", admit_at=timezone.now() - timedelta(days=2),
                         attending=provider.provider, acting_user=registrar)
do_discharge_encounter(stay, discharge_at=timezone.now() - timedelta(hours=1), disposition="01",
                       acting_user=registrar)
print(patient.pk, stay.pk, provider.provider.pk)
"""


def test_dictation_is_edited_with_the_audio_sent_and_signed(server, page, log_in, tmp_path):
    require_audio_tools()  # skipped without espeak-ng and ffmpeg, refused where CI requires them
    recording = tmp_path / "dictation.wav"
    subprocess.run(["espeak-ng", "-s", "130", "-w", str(recording), SENTENCE], check=True, capture_output=True)
    patient_id, stay_id, author_id = server.python(SETUP).strip().splitlines()[-1].split()

    log_in(page, "transcriptionist")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Transcription queue")  # home is the queue
    page.goto(server.url(f"/transcription/patient/{patient_id}/dictate/"))
    page.get_by_label("Recording").set_input_files(str(recording))
    page.get_by_label("Document type").select_option(label="History and physical")
    page.get_by_label("Encounter").select_option(index=1)
    page.get_by_label("Dictating provider").select_option(value=author_id)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text("draft is ready")

    page.get_by_role("link", name="Edit with the audio").click()
    words = page.locator(".tx-word")
    expect(words.first).to_be_visible()
    last = words.last
    start = float(last.get_attribute("data-start") or "0")
    assert start > 0.5, "the recording lasts seconds; its last word starts well after zero"
    audio = page.locator("#tx-audio")
    _until(page, lambda: audio.evaluate("node => node.readyState") >= 1)  # the metadata came through Range
    last.click()
    _until(page, lambda: abs(audio.evaluate("node => node.currentTime") - start) < 0.5)
    expect(last).to_have_class(re.compile("tx-current"))
    # Keyboard only: from the first word, End then Enter seeks to the last word; F8 speeds up while typing.
    audio.evaluate("node => { node.pause(); node.currentTime = 0; }")
    words.first.focus()
    page.keyboard.press("End")
    expect(last).to_be_focused()
    page.keyboard.press("Enter")
    _until(page, lambda: abs(audio.evaluate("node => node.currentTime") - start) < 0.5)
    page.get_by_label("Transcript").focus()
    page.keyboard.press("F8")
    expect(page.locator("#tx-rate")).to_have_text("1.1×")
    expect(page.get_by_label("Transcript")).to_be_focused()

    page.get_by_label("Transcript").fill(CORRECTED)
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("Saved the draft")  # the speed <output> is a status too
    page.get_by_role("link", name="Back to the dictation").click()
    page.get_by_role("button", name="Send to author").click()
    expect(page.get_by_role("status")).to_contain_text("Sent to the author")

    # Chart completion finds the dictated H&P written but unsigned on the finished stay (its own deficiency;
    # the stay's other required documents are not this test's business).
    deficiency = server.python(
        "from chartdesk.completion.analysis import analyse_encounter\n"
        "from chartdesk.completion.models import Deficiency\n"
        f"analyse_encounter({stay_id})\n"
        "from chartdesk.transcription.models import Dictation\n"
        "document = Dictation.objects.get(patient__family_name='Dictatest').document\n"
        "print(','.join(str(d.pk) for d in Deficiency.objects.filter(document=document, status='open')))\n"
    ).strip().splitlines()[-1]
    assert deficiency

    page.context.clear_cookies()
    log_in(page, "provider")
    page.goto(server.url("/transcription/drafts/"))
    page.get_by_role("row").filter(has_text="Dictatest").get_by_role("link", name="Review").click()
    expect(page.locator(".document-text").first).to_have_text(CORRECTED)
    page.get_by_role("link", name=re.compile("^Sign$")).click()
    page.get_by_label("I have reviewed this document and sign it electronically.").check()
    page.get_by_role("button", name=re.compile("^Sign$")).click()
    expect(page.get_by_role("status")).to_contain_text("Signed")

    state = server.python(
        "from chartdesk.completion.models import Deficiency\n"
        "from chartdesk.transcription.models import Dictation\n"
        f"print(sorted(Deficiency.objects.filter(pk__in=[{deficiency}]).values_list('status', flat=True)))\n"
        "d = Dictation.objects.get(patient__family_name='Dictatest')\n"
        "print(d.status, d.document.status, d.document.current_version.text)\n"
    ).strip().splitlines()
    assert state[-2] == str(["completed"] * len(deficiency.split(",")))
    assert state[-1] == f"signed final {CORRECTED}"
