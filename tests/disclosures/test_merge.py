"""A patient merge carries the retired chart's disclosures to the survivor (and an unmerge back),
while what a recorded disclosure says stays frozen in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from chartdesk.disclosures.accounting import do_record_disclosure
from chartdesk.disclosures.models import Disclosure
from chartdesk.patients.merge_actions import do_merge_patients, do_unmerge_patients
from tests.support import factories

pytestmark = pytest.mark.django_db


def test_disclosures_follow_a_merge_and_an_unmerge_and_stay_frozen_otherwise():
    him, roi = factories.make_user("him_manager"), factories.make_user("roi")
    survivor = factories.make_patient("Maria", "Garcia")
    retired = factories.make_patient("Mariah", "Garcia")
    disclosure = do_record_disclosure(
        retired, recipient_name="County health department", description="Immunization history",
        purpose="Report required by law", legal_basis="required_by_law",
        disclosed_at=timezone.now() - timedelta(days=3), acting_user=roi,
    )

    event = do_merge_patients(survivor, retired, reason="Same person", acting_user=him)
    assert Disclosure.objects.get(pk=disclosure.pk).patient_id == survivor.pk

    with pytest.raises(DatabaseError), transaction.atomic():
        Disclosure.objects.filter(pk=disclosure.pk).update(recipient_name="Someone else")
    assert Disclosure.objects.get(pk=disclosure.pk).recipient_name == disclosure.recipient_name

    do_unmerge_patients(event, reason="Two people after all", acting_user=him)
    assert Disclosure.objects.get(pk=disclosure.pk).patient_id == retired.pk
