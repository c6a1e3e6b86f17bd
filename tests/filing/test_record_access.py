"""Holds, destruction certificates and scanned batches name patients: a restricted patient's answer
'not found' to users who may not open that chart, are left out of their lists, and every opening is
recorded in the trail of each patient named."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.core.errors import NotFound
from chartdesk.filing import scanning
from chartdesk.filing.record_access import (
    access_destruction_certificate_by_id,
    access_legal_hold_by_id,
    access_scan_batch_by_id,
)
from chartdesk.filing.retention import do_destroy_records, do_place_legal_hold
from chartdesk.patients.actions import do_grant_chart_access, do_set_restriction
from tests.filing.scans import pdf_batch, upload
from tests.support import factories


@pytest.fixture
def him(users: dict[str, Any]) -> Any:
    return users["him_manager"]


@pytest.fixture
def vip(him: Any) -> Any:
    patient = factories.make_patient("Vera", "Important")
    factories.make_encounter(patient, acting_user=him, admit_at=timezone.now() - timedelta(days=30))
    return patient


@pytest.fixture
def ordinary(him: Any) -> Any:
    patient = factories.make_patient("Otto", "Ordinary")
    factories.make_encounter(patient, acting_user=him, admit_at=timezone.now() - timedelta(days=30))
    return patient


def restrict(patient: Any, him: Any) -> None:
    do_set_restriction(patient, restriction="vip", note="board member", acting_user=him)


def far_future() -> Any:
    return timezone.localdate() + timedelta(days=365 * 40)


def test_a_hold_covering_a_restricted_patient_is_not_found_and_not_listed(vip, ordinary, him, client):
    hidden = do_place_legal_hold(matter="Important v. Hospital", patients=[vip, ordinary], acting_user=him)
    shown = do_place_legal_hold(matter="Ordinary v. Hospital", patients=[ordinary], acting_user=him)
    restrict(vip, him)
    with pytest.raises(NotFound):
        access_legal_hold_by_id(him, hidden.pk)
    assert access_legal_hold_by_id(him, shown.pk) == shown
    client.force_login(him)
    # The HIM manager may break the glass: the desk offers it, as the chart pages do.
    offered = client.get(reverse("filing-hold", kwargs={"hold_id": hidden.pk}))
    assert offered.status_code == 302 and offered["Location"].startswith(f"/patients/{vip.pk}/break-the-glass/")
    page = client.get(reverse("filing-retention")).content.decode()
    assert "Ordinary v. Hospital" in page and "Important v. Hospital" not in page


def test_a_user_granted_the_chart_opens_the_hold_and_each_named_patient_sees_the_view(vip, ordinary, him):
    hold = do_place_legal_hold(matter="Important v. Hospital", patients=[vip, ordinary], acting_user=him)
    restrict(vip, him)
    do_grant_chart_access(vip, him, reason="Litigation file review", acting_user=him)
    assert access_legal_hold_by_id(him, hold.pk) == hold
    viewed = AuditEvent.objects.filter(action="view", object_type="legal_hold", object_id=str(hold.pk))
    assert sorted(viewed.values_list("patient_id", flat=True)) == sorted([vip.pk, ordinary.pk])


def test_a_certificate_naming_a_restricted_patient_is_not_found(vip, him, client):
    certificate = do_destroy_records([vip], method="shredding", witness="W. Witness", acting_user=him,
                                     as_of=far_future())
    restrict(vip, him)
    with pytest.raises(NotFound):
        access_destruction_certificate_by_id(him, certificate.pk)
    client.force_login(him)
    url = reverse("filing-certificate", kwargs={"certificate_id": certificate.pk})
    offered = client.get(url)  # the manager may break the glass: offered, as on the chart pages
    assert offered.status_code == 302 and offered["Location"].startswith(f"/patients/{vip.pk}/break-the-glass/")
    assert AuditEvent.objects.filter(action="access_denied", object_type="destruction_certificate",
                                     patient_id=vip.pk).exists()
    assert certificate.number not in client.get(reverse("filing-retention")).content.decode()


def test_a_certificate_is_only_for_retention_managers(ordinary, him, users):
    certificate = do_destroy_records([ordinary], method="shredding", witness="W. Witness", acting_user=him,
                                     as_of=far_future())
    assert access_destruction_certificate_by_id(him, certificate.pk) == certificate
    with pytest.raises(NotFound):
        access_destruction_certificate_by_id(users["registrar"], certificate.pk)


def test_a_batch_with_pages_indexed_to_a_restricted_patient_is_not_found_to_the_clerk(vip, him, users, client):
    clerk = users["registrar"]
    batch = scanning.do_upload_scan_batch(upload("batch.pdf", pdf_batch("SEP", "consent", "SEP", "letter")),
                                          acting_user=clerk, note="Important family papers")
    assert access_scan_batch_by_id(clerk, batch.pk) == batch  # nothing indexed yet: no chart named
    first = batch.documents.order_by("first_page").first()
    scanning.do_index_scanned_document(first, patient=vip, document_type="34109-9", title="Consent",
                                       service_date=timezone.localdate(), acting_user=clerk)
    restrict(vip, him)
    with pytest.raises(NotFound):
        access_scan_batch_by_id(clerk, batch.pk)
    client.force_login(clerk)
    assert client.get(reverse("filing-batch", kwargs={"scan_batch_id": batch.pk})).status_code == 404
    assert "batch.pdf" not in client.get(reverse("filing-batches")).content.decode()


def test_a_malformed_or_missing_id_is_not_found(him):
    for guess in ("x", None, 999999):
        with pytest.raises(NotFound):
            access_legal_hold_by_id(him, guess)
