"""Demo data for release of information: a few requests in different states, a Part 2 label, an
amendment request. Called once by core.demo.load after the patients exist; everything goes through
the actions, so the demo's audit trail is real."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chartdesk.charts.models import Document, DocumentStatus
from chartdesk.core import clock
from chartdesk.disclosures.actions import (
    do_attach_authorization,
    do_label_document,
    do_log_request,
    do_record_authorization,
    do_start_processing,
)
from chartdesk.disclosures.amendments import do_request_amendment
from chartdesk.disclosures.models import SensitiveCategory
from chartdesk.patients.models import Patient


def load_disclosures_demo(patients: list[Any], staff: dict[str, Any]) -> int:
    """Log demo requests for the first unrestricted patients with signed documents; returns how many."""
    roi, privacy = staff.get("roi"), staff.get("privacy_officer")
    if roi is None or privacy is None:
        return 0
    today = clock.localdate()
    # Read back from the database: a chart restricted during the load must not be touched.
    unrestricted = Patient.objects.filter(pk__in=[patient.pk for patient in patients], restriction="").order_by("pk")
    candidates = [patient for patient in unrestricted
                  if Document.objects.filter(patient=patient, status=DocumentStatus.FINAL).exists()][:3]
    for index, patient in enumerate(candidates):
        documents = list(Document.objects.filter(patient=patient, status=DocumentStatus.FINAL).order_by("id"))
        if index == 0:
            do_log_request(patient, requester_type="patient", requester_name=f"{patient.given_name} "
                           f"{patient.family_name}", purpose="access", received_on=today - timedelta(days=26),
                           delivery_format="electronic", requester_email="patient@example.org", acting_user=roi)
        elif index == 1:
            request = do_log_request(patient, requester_type="attorney", requester_name="Harbor Life Insurance Co.",
                                     purpose="insurance", received_on=today - timedelta(days=12), acting_user=roi)
            authorization = do_record_authorization(
                patient, acting_user=roi, information_described="All records of the last two years",
                discloser="Chartdesk General Hospital", recipient="Harbor Life Insurance Co.",
                purpose="Life insurance application", purposes=["insurance"], signed_on=today - timedelta(days=14),
                signature_present=True,
                states_right_to_revoke=True, states_conditioning=False, states_redisclosure=True,
                expires_on=today + timedelta(days=365),
            )
            do_attach_authorization(request, authorization, acting_user=roi)
            do_start_processing(request, acting_user=roi)  # waits: the conditioning statement is missing
            do_label_document(documents[0], category=SensitiveCategory.SUBSTANCE_USE, acting_user=roi)
        else:
            do_request_amendment(documents[0], requested_change="The allergy to penicillin is wrong: it was "
                                 "amoxicillin.", received_on=today - timedelta(days=40), acting_user=privacy)
    return len(candidates)


def disclosures_demo_stage(run: Any) -> None:
    """The ROI area's stage of `chartdesk demo-data` (core.demo.load.DemoRun)."""
    load_disclosures_demo(list(run.patients.values()), run.staff)
