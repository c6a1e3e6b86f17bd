"""A provider completes a chart from the charts-to-complete queue in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SETUP = """
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from chartdesk.charts.actions import do_create_note, do_discharge_encounter, do_open_encounter
from chartdesk.completion.analysis import analyse_encounter
from chartdesk.completion.models import Deficiency
from chartdesk.patients.actions import do_register_patient
from chartdesk.patients.schemas import PatientRegistration
from datetime import date

User = get_user_model()
registrar, provider = User.objects.get(username="registrar"), User.objects.get(username="provider")
patient = do_register_patient(PatientRegistration(given_name="Quinn", family_name="Queuetest",
                                                  birth_date=date(1966, 6, 6), sex="F"), acting_user=registrar)
stay = do_open_encounter(patient, encounter_class="inpatient", admit_at=timezone.now() - timedelta(days=3),
                         attending=provider.provider, acting_user=registrar)
do_create_note(patient, document_type="34117-2", title="Admission H&P", text="Synthetic H&P.",
               service_date=timezone.localdate(stay.admit_at), encounter=stay, author=provider.provider,
               acting_user=provider)
do_create_note(patient, document_type="18842-5", title="Discharge summary", text="Synthetic summary.",
               service_date=timezone.localdate(), encounter=stay, author=provider.provider, acting_user=provider)
do_discharge_encounter(stay, discharge_at=timezone.now() - timedelta(hours=1), disposition="01",
                       acting_user=registrar)
analyse_encounter(stay)
print(",".join(str(d.pk) for d in Deficiency.objects.filter(encounter=stay, status="open").order_by("pk")))
"""


def test_a_provider_signs_both_unsigned_documents_from_the_queue_on_the_signing_screen(server, page, log_in):
    opened = server.python(SETUP).strip().split(",")
    assert len(opened) == 2  # the H&P and the discharge summary are written but unsigned

    log_in(page, "provider")
    page.get_by_role("link", name="Charts to complete").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Charts to complete")
    for _ in opened:
        row = page.get_by_role("row").filter(has_text="Queuetest").filter(has_text="not signed").first
        row.get_by_role("link", name="Open").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("not signed")
        # The signing screen: the document, the attestation, then the confirmation the button needs.
        expect(page.get_by_role("heading", name="Attestation")).to_be_visible()
        page.get_by_role("button", name=re.compile("^Sign$")).click()
        expect(page.get_by_text("Tick the box to confirm you are signing this document.")).to_be_visible()
        page.get_by_label("I have reviewed this document and sign it electronically.").check()
        page.get_by_role("button", name=re.compile("^Sign$")).click()
        expect(page.get_by_role("status")).to_contain_text("Signed. The deficiency is complete.")
    expect(page.get_by_role("row").filter(has_text="Queuetest")).to_have_count(0)

    state = server.python(
        "from chartdesk.completion.models import ChartCompletion, Deficiency\n"
        "from chartdesk.charts.models import Document\n"
        f"print(sorted(Deficiency.objects.filter(pk__in=[{','.join(opened)}]).values_list('status', flat=True)))\n"
        "print(sorted(Document.objects.filter(patient__family_name='Queuetest').values_list('status', flat=True)))\n"
        "print(ChartCompletion.objects.get(patient__family_name='Queuetest').status)\n"
    )
    assert state.splitlines() == ["['completed', 'completed']", "['final', 'final']", "complete"]
