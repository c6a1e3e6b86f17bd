"""Training in Chromium, kind by kind: a student opens an exercise of the course they joined, does it
where the kind is done (the training screen for terminology and filing; the real request screens for
ROI; the real billing screens for claims; the real merge screen for MPI; the real chart screens, then
the training screen, for deficiency; the real transcription editor, once the worker has drafted the
exercise's dictation, for transcription; the real coding screen and its inpatient abstract for
abstracting), submits it and reads the grade and the feedback, one part right and one wrong. One
server, course and sandbox serve the whole module
(joining builds a sandbox; the coding kind's own test, test_training.py, joins through the browser)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DeskServer, serving
from tests.browser.test_training import NEW_COURSE, _with_sandbox_template

pytestmark = pytest.mark.browser

JOIN = """
from django.contrib.auth import get_user_model
from chartdesk.training.actions import do_join_course
from chartdesk.training.models import Course
student = get_user_model().objects.get(username="student")
do_join_course(Course.objects.get().join_code, acting_user=student)
"""


@pytest.fixture(scope="module")
def training_site(coded_database: Any, tmp_path_factory: pytest.TempPathFactory,
                  django_db_blocker: Any) -> Iterator[DeskServer]:
    # With ICD-10-CM loaded (the sandboxes read the code sets from the main database): the abstracting
    # exercise is coded on the real coding screen, which refuses codes without a release in effect.
    with serving(coded_database, tmp_path_factory.mktemp("training-kinds")) as running:
        _with_sandbox_template(running, django_db_blocker)
        running.python(NEW_COURSE)
        running.python(JOIN)
        yield running


@pytest.fixture
def server(training_site: DeskServer) -> DeskServer:
    return training_site


def open_exercise(page: Any, log_in: Any, title: str) -> None:
    page.set_default_timeout(60_000)
    log_in(page, "student")
    page.get_by_role("link", name="Training", exact=True).click()
    page.get_by_role("link", name=title, exact=True).click()
    page.get_by_role("button", name="Start the exercise").click()


def submit_typed(page: Any, answer: dict[str, Any]) -> None:
    page.get_by_label("Your answer").fill(json.dumps(answer))
    page.get_by_role("button", name="Submit for grading").click()


def test_terminology_the_student_types_each_meaning_and_reads_which_term_was_wrong(page, log_in):
    open_exercise(page, log_in, "Prefixes: number, size and speed")
    meanings = {"brady-": "slow", "tachy-": "fast", "hyper-": "above", "hypo-": "below", "macro-": "large",
                "micro-": "small", "poly-": "many", "oligo-": "many"}  # oligo- is wrong: it means few
    for term, meaning in meanings.items():
        page.get_by_label(term, exact=True).fill(meaning)
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.locator(".grade")).to_contain_text("Score: 0.88 (7.00 of 8.00 points)")
    feedback = page.locator("table.feedback")
    expect(feedback.locator("tr", has_text="oligo-")).to_contain_text("oligo- is a prefix meaning “few”")
    expect(feedback.locator("tr", has_text="brady-")).to_contain_text("1.00 of 1.00")


def test_filing_the_student_orders_the_folders_and_reads_the_missed_misfiles(page, log_in):
    open_exercise(page, log_in,
                  "Filing drill 1: terminal-digit and middle-digit order, misfiles on a terminal-digit shelf")
    submit_typed(page, {
        "t1": ["51-17-38", "81-87-38", "98-90-38", "32-64-53", "69-84-53", "49-95-53", "14-03-66", "46-37-66"],
        "t2": ["06-81-06", "08-81-52", "10-81-81", "52-81-02", "55-81-73", "61-81-74", "76-91-87"],
        "m1": ["86-14-81"],  # wrong: the misfiles are 95-91-82 and 06-68-82
    })
    expect(page.locator(".grade")).to_contain_text("Score: 0.67 (2.00 of 3.00 points)")
    feedback = page.locator("table.feedback")
    expect(feedback.locator("tr", has_text="Task t1")).to_contain_text("8 of 8 folders are in terminal digit order")
    expect(feedback.locator("tr", has_text="Task m1")).to_contain_text("Misfiled: 95-91-82, 06-68-82.")


def test_roi_the_student_works_each_request_on_the_request_screen_and_reads_the_right_fee(page, log_in):
    open_exercise(page, log_in, "Release of information 1: 3 requests")
    attempt_url = page.url
    expect(page.get_by_role("link", name=re.compile(r"Open request A \(ROI-"))).to_be_visible()

    # A: an attorney with a valid authorization: taken into processing, the fee quoted for 16 pages.
    page.get_by_role("link", name=re.compile(r"Open request A \(ROI-")).click()
    expect(page.get_by_text("The attached authorization is valid today and covers this request.")).to_be_visible()
    page.get_by_role("button", name="Start processing").click()
    expect(page.get_by_role("heading", name=re.compile("In processing"))).to_be_visible()
    page.get_by_label("Pages to release").fill("16")
    page.get_by_role("button", name="Quote the fee").click()
    expect(page.get_by_text("Fee quoted: $24.50.")).to_be_visible()

    # B: a researcher whose authorization has no expiration: denied with that reason ticked.
    page.goto(attempt_url)
    page.get_by_role("link", name=re.compile(r"Open request B \(ROI-")).click()
    page.get_by_text("Extend or deny").click()
    page.get_by_label(re.compile("neither an expiration date nor an expiration event")).check()
    page.get_by_role("button", name="Deny request").click()
    expect(page.get_by_role("heading", name="Denied because")).to_be_visible()

    # C: the patient's own copy: identity verified, processed, quoted for 90 pages (the chart has 86).
    page.goto(attempt_url)
    page.get_by_role("link", name=re.compile(r"Open request C \(ROI-.*86 pages")).click()
    page.get_by_label("How the requester's identity (and authority) was verified").fill("Driver's licence")
    page.get_by_role("button", name="Record verification").click()
    page.get_by_role("button", name="Start processing").click()
    page.get_by_label("Pages to release").fill("90")
    page.get_by_role("button", name="Quote the fee").click()
    expect(page.get_by_text("Fee quoted: $4.50.")).to_be_visible()

    page.goto(attempt_url)
    page.get_by_role("button", name="Hand in").click()
    expect(page.locator(".grade")).to_contain_text("Score: 0.90 (9.00 of 10.00 points)")
    feedback = page.locator("table.feedback")
    expect(feedback.locator("tr", has_text="Request C: fee")).to_contain_text("Labour to copy 86 pages $4.30")
    expect(feedback.locator("tr", has_text="Request B: release")).to_contain_text("1.00 of 1.00")
    expect(feedback.locator("tr", has_text="Request B: problems")).to_contain_text("1.00 of 1.00")


def test_claims_the_student_corrects_the_claims_on_the_billing_screens_and_reads_the_value_missed(page, log_in):
    open_exercise(page, log_in, "Rejected claims 1: three professional claims")
    # The attempt's page: the source documents and a link to each claim's real page in the sandbox.
    expect(page.get_by_role("heading", name="Where the work is done")).to_be_visible()
    expect(page.get_by_text("member ID PCG277173958")).to_be_visible()  # C2's insurance card
    # C2: the member ID left out at registration, put back from the card on the coverage page.
    page.get_by_role("link", name=re.compile(r"^Claim C2: CD")).click()
    expect(page.get_by_text("The coverage has no member ID.")).to_be_visible()
    page.get_by_role("link", name="Correct the coverage").click()
    page.get_by_label("Member ID").fill("PCG277173958")
    page.get_by_role("button", name="Save the coverage").click()
    expect(page.get_by_text("Coverage corrected")).to_be_visible()
    # C1: line 1's units on the charge line's page (the diagnosis left wrong).
    page.go_back()
    page.go_back()
    page.get_by_role("link", name="Training", exact=True).click()
    page.locator("tr", has_text="Rejected claims 1").get_by_role("link", name="in progress: submit").click()
    page.get_by_role("link", name=re.compile(r"^Claim C1: CD")).click()
    page.get_by_role("link", name="Correct line 1").click()
    page.get_by_label("Units").fill("1")
    page.get_by_role("button", name="Save the corrected line").click()
    expect(page.get_by_text("Charge 99203 corrected")).to_be_visible()

    page.get_by_role("link", name="Training", exact=True).click()
    page.locator("tr", has_text="Rejected claims 1").get_by_role("link", name="in progress: submit").click()
    page.get_by_role("button", name="Hand in").click()
    # C1: units 1, diagnosis 0, nothing right changed 1; C2: 1 + 1; C3 untouched: 0 + 0 + 1.
    expect(page.locator(".grade")).to_contain_text("(5.00 of 8.00 points)")
    feedback = page.locator("table.feedback")
    expect(feedback.locator("tr", has_text="Claim C1: diagnoses")).to_contain_text(
        "Right value: ['M54.50'] (from the encounter form)")
    expect(feedback.locator("tr", has_text="Claim C2: member_id")).to_contain_text("1.00 of 1.00")
    expect(feedback.locator("tr", has_text="Claim C1: line 1 units")).to_contain_text("1.00 of 1.00")


SHORT_EXAM = """
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from chartdesk.training.exams import do_create_exam
from chartdesk.training.models import Course
instructor = get_user_model().objects.get(username="instructor")
now = timezone.now()
do_create_exam(Course.objects.get(), title="Quick filing check", time_limit_minutes=11,
               opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1), picks=[("filing-01", 1.0)],
               draw={}, seed=1, acting_user=instructor)
"""


def test_the_exam_page_counts_down_and_announces_only_the_ten_five_and_one_minute_marks(server, page, log_in):
    server.python(SHORT_EXAM)
    page.clock.install()
    log_in(page, "student")
    page.get_by_role("link", name="Training", exact=True).click()
    page.get_by_role("link", name="Quick filing check").click()
    page.get_by_role("button", name="Start the exam").click()
    clock = page.get_by_role("timer")
    announcer = page.locator("[data-exam-clock-announce]")
    expect(clock).to_contain_text(re.compile(r"Time left: 1[01] min \d\d s"))
    expect(announcer).to_have_text("")
    page.clock.run_for(5_000)
    expect(clock).to_contain_text(re.compile(r"Time left: 10 min [45]\d s"))
    expect(announcer).to_have_text("")  # no word each second
    page.clock.run_for(65_000)
    expect(announcer).to_have_text("10 minutes left in the exam.")
    page.clock.run_for(5 * 60_000)
    expect(announcer).to_have_text("5 minutes left in the exam.")
    page.clock.run_for(4 * 60_000)
    expect(announcer).to_have_text("1 minute left in the exam.")
    page.clock.run_for(60_000)
    expect(clock).to_contain_text("Time left: 0 min 00 s")
    expect(announcer).to_contain_text("Time is up")


SANDBOX_PATIENTS = """
import json
import re
from chartdesk.patients.models import Patient
from chartdesk.training.models import Enrollment
from chartdesk.training.sandbox import sandbox_database, sandbox_path
with sandbox_database(sandbox_path(Enrollment.objects.get().sandbox)):
    rows = Patient.objects.filter(family_name="FAMILY").order_by("pk")
    print(json.dumps([{"id": p.pk, "mrn": p.mrn} for p in rows]))
"""


def test_mpi_the_student_merges_a_duplicate_on_the_merge_screen_and_reads_the_ones_missed(server, page, log_in):
    open_exercise(page, log_in, "MPI clean-up 1: 10 registrations")
    expect(page.get_by_text("Training sandbox: synthetic patients only")).to_be_visible()
    # P4 and P8 (Robert Okonkwo, the middle name left out once) are one person; P4, registered first, survives.
    found = server.python(SANDBOX_PATIENTS.replace("FAMILY", "Okonkwo")).strip().splitlines()[-1]
    survivor, duplicate = json.loads(found)
    page.get_by_label("Find a patient").first.fill("Okonkwo")
    page.keyboard.press("Enter")
    expect(page.get_by_text(duplicate["mrn"]).first).to_be_visible()
    page.goto(server.url(f"/patients/{survivor['id']}/merges/"))
    page.get_by_role("link", name="Merge a duplicate into this chart").click()
    page.get_by_label("Find the duplicate record").fill(duplicate["mrn"])
    page.get_by_role("button", name="Search").click()
    page.locator("#merge-results .results li a").first.click()
    expect(page.get_by_role("heading", name="Compare before merging")).to_be_visible()
    page.get_by_label("Reason for the merge").fill("Same SSN, birth date and address; middle name left out")
    page.get_by_label(re.compile("I compared both records")).check()
    page.get_by_role("button", name="Merge the records").click()
    expect(page.get_by_text(re.compile(f"Merged MRN {duplicate['mrn']} into MRN {survivor['mrn']}"))).to_be_visible()

    page.get_by_role("link", name="Training", exact=True).click()
    page.locator("tr", has_text="MPI clean-up 1").get_by_role("link", name="in progress: submit").click()
    page.get_by_role("button", name="Submit for grading").click()
    # One of three duplicates merged, the look-alikes left apart, nothing else merged: 3 of 5.
    expect(page.locator(".grade")).to_contain_text("Score: 0.60 (3.00 of 5.00 points)")
    feedback = page.locator("table.feedback")
    expect(feedback.locator("tr", has_text="Duplicate P4 and P8")).to_contain_text("Merged: these are one person.")
    expect(feedback.locator("tr", has_text="Duplicate P1 and P7")).to_contain_text("Not merged")


def test_deficiency_the_student_reviews_the_chart_screens_and_reads_the_deficiency_missed(page, log_in):
    open_exercise(page, log_in, "Deficiency analysis 1: three discharged charts")
    # The charts are reviewed on the real chart screen of the sandbox.
    page.get_by_label("Find a patient").first.fill("Castillo")
    page.keyboard.press("Enter")
    page.get_by_role("link", name=re.compile("Castillo")).first.click()
    expect(page.get_by_text(re.compile(r"\(A3\)")).first).to_be_visible()

    page.get_by_role("link", name="Training", exact=True).click()
    page.locator("tr", has_text="Deficiency analysis 1").get_by_role("link", name="in progress: submit").click()
    submit_typed(page, {"deficiencies": [  # all but chart C's unsigned progress note (C1)
        {"chart": "A", "kind": "signature", "document": "A3"}, {"chart": "A", "kind": "signature", "document": "A4"},
        {"chart": "A", "kind": "signature", "document": "A6"}, {"chart": "A", "kind": "cosignature", "document": "A5"},
        {"chart": "B", "kind": "signature", "document": "B7"}, {"chart": "B", "kind": "cosignature", "document": "B2"},
        {"chart": "C", "kind": "required_document", "document_type": "34117-2"},
        {"chart": "C", "kind": "required_document", "document_type": "18842-5"}]})
    expect(page.locator(".grade")).to_contain_text("Score: 0.92 (11.00 of 12.00 points)")
    feedback = page.locator("table.feedback")
    expect(feedback.locator("tr", has_text="Chart C: Progress note not signed")).to_contain_text(
        "Missed. Rule: Every document of the encounter signed (42 CFR 482.24(c)(1)")
    expect(feedback.locator("tr", has_text="Chart A: Operative report not signed")).to_contain_text("Found.")



TRANSCRIPT = ("The patient is a retired teacher admitted with shortness of breath and swelling of both legs. "
              "She reports orthopnea and a dry cough for 1 week. Past history includes hypertension and atrial "
              "fibrillation. On examination there are bibasilar crackles and pitting edema to the knees.")


def test_transcription_the_student_corrects_the_draft_in_the_editor_and_reads_the_word_missed(server, page, log_in):
    from tests.transcription.conftest import require_audio_tools

    require_audio_tools()  # the exercise's dictation is spoken by espeak-ng when the exercise is built
    open_exercise(page, log_in, "Transcription 1: history and physical")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Transcription queue")
    # Building the exercise queued the recognition of its dictation; the worker drafts it in the sandbox.
    server.chartdesk("worker", "--batch", "--no-startup-delay", "--no-reload")
    page.reload()
    row = page.get_by_role("row").filter(has_text="Marsh")
    expect(row).to_contain_text("Draft ready")
    row.get_by_role("link", name="Open").click()
    page.get_by_role("link", name="Edit with the audio").click()
    expect(page.locator(".tx-word").first).to_be_visible()  # the machine draft, word by word
    page.get_by_label("Transcript").fill(TRANSCRIPT)  # all right but "1" typed for the dictated "one"
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("Saved the draft")

    page.get_by_role("link", name="Training", exact=True).click()
    page.locator("tr", has_text="Transcription 1").get_by_role("link", name="in progress: submit").click()
    page.get_by_role("button", name="Submit for grading").click()
    # Word accuracy 44 of 45 words (4 x 0.9778 = 3.91 points) and no do-not-use abbreviation (1 point).
    expect(page.locator(".grade")).to_contain_text("Score: 0.98 (4.91 of 5.00 points)")
    feedback = page.locator("table.feedback")
    expect(feedback.locator("tr", has_text="Word accuracy")).to_contain_text(
        "Yours: 97.8%. 1 substituted, 0 left out and 0 added of 45 dictated words. Errors: \"1\" for \"one\".")
    expect(feedback.locator("tr", has_text="No do-not-use abbreviations")).to_contain_text("1.00 of 1.00")


def add_diagnosis(page: Any, code: str, poa: str) -> None:
    form = page.get_by_role("form", name="Add a diagnosis")
    form.get_by_label("Diagnosis code").fill(code)
    form.get_by_label("POA").select_option(poa)
    form.get_by_role("button", name="Add diagnosis").click()
    expect(page.locator(f'[data-diagnosis="{code}"]')).to_be_visible()


def test_abstracting_the_student_abstracts_the_stay_on_the_coding_screen_and_reads_the_poa_missed(page, log_in):
    open_exercise(page, log_in, "Heart failure with a urinary tract infection")
    expect(page.get_by_text("Urinalysis on admission positive").first).to_be_visible()  # the discharge summary
    page.get_by_role("button", name="Start coding").click()
    add_diagnosis(page, "I50.23", "Y")
    add_diagnosis(page, "N39.0", "N")  # wrong: the urinalysis was taken on admission, so the UTI is POA Y
    add_diagnosis(page, "E11.9", "Y")
    abstract = page.get_by_role("form", name="Inpatient abstract")
    abstract.get_by_label("Admission type").select_option("1")
    abstract.get_by_label("Point of origin").select_option("1")
    abstract.get_by_label("Discharge status").select_option("01")
    abstract.get_by_role("button", name="Save abstract").click()
    # A UTI is a CC whatever its POA (it is no hospital-acquired condition alone): the working DRG is 292.
    expect(page.locator("[data-working-drg] [data-drg]")).to_have_attribute("data-drg", "292")

    page.get_by_role("link", name="Training", exact=True).click()
    page.locator("tr", has_text="Heart failure with a urinary").get_by_role("link", name="in progress: submit").click()
    page.get_by_role("button", name="Submit for grading").click()
    # Principal 2, secondaries 2, POA 2 of 3, admission type 1, disposition 1, MS-DRG 2: 10 of 11.
    expect(page.locator(".grade")).to_contain_text("Score: 0.91 (10.00 of 11.00 points)")
    feedback = page.locator("table.feedback")
    expect(feedback.locator("tr", has_text="POA of N39.0")).to_contain_text(
        "You gave N; it is Y. ICD-10-CM Official Guidelines, Appendix I (POA)")
    expect(feedback.locator("tr", has_text="POA of N39.0")).to_contain_text(
        "Why: The urinalysis was taken on admission: present at the time of the inpatient order.")
    expect(feedback.get_by_role("row", name=re.compile("^MS-DRG"))).to_contain_text(
        "Right: MS-DRG 292 Heart Failure and Shock with CC")
