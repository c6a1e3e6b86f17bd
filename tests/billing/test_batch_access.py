"""An 837P batch or a statement batch holds many patients' data: it opens only for a billing user who may
open every chart in it, and each opening goes into every one of those patients' audit trails."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chartdesk.audit.models import AuditAction, AuditEvent
from chartdesk.billing.actions import do_create_claim
from chartdesk.billing.export import do_export_837
from chartdesk.billing.remittance import do_import_835
from chartdesk.billing.statements import do_create_statement_batch
from chartdesk.patients.actions import do_grant_chart_access, do_set_restriction
from tests.billing.remits import Paid, remit_835

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(charged_visit, billing_user):
    """A claim sent in an 837P batch and paid with a share for the patient, who is then on a statement."""
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    batch = do_export_837(acting_user=billing_user)
    adjustments = [("CO", "45", Decimal("22.00")), ("PR", "3", Decimal("30.00"))]
    do_import_835(remit_835([Paid(claim.claim_number, Decimal("152.00"), Decimal("100.00"), adjustments)]),
                  acting_user=billing_user)
    statements = do_create_statement_batch(acting_user=billing_user)
    return claim, batch, statements


def restrict(patient, users):
    do_set_restriction(patient, restriction="vip", note="board member", acting_user=users["privacy_officer"])


def downloads_of(patient, object_type):
    return AuditEvent.objects.filter(patient_id=patient.pk, object_type=object_type)


def test_each_download_of_a_batch_is_in_the_audit_trail_of_the_patient_it_carries(sent, client_for, billing_user):
    claim, batch, statements = sent
    desk = client_for(billing_user)
    assert desk.get(f"/billing/batch/{batch.pk}/837/").status_code == 200
    assert desk.get(f"/billing/statements/{statements.pk}/pdf/").status_code == 200
    [download] = downloads_of(claim.patient, "x12_batch")
    assert (download.action, download.object_id, download.username) == (
        AuditAction.DOWNLOAD, str(batch.pk), billing_user.username)
    [view] = downloads_of(claim.patient, "statement_batch")
    assert (view.action, view.object_id) == (AuditAction.VIEW, str(statements.pk))


def test_a_batch_with_a_restricted_chart_is_not_found_until_the_user_is_granted_that_chart(
        sent, users, client_for, billing_user):
    claim, batch, statements = sent
    restrict(claim.patient, users)
    desk = client_for(billing_user)
    assert desk.get(f"/billing/batch/{batch.pk}/837/").status_code == 404
    assert desk.get(f"/billing/statements/{statements.pk}/pdf/").status_code == 404
    assert not downloads_of(claim.patient, "x12_batch").exists()

    do_grant_chart_access(claim.patient, billing_user, reason="Works this board member's account",
                          acting_user=users["privacy_officer"])
    desk = client_for(billing_user)
    opened = desk.get(f"/billing/batch/{batch.pk}/837/")
    assert opened.status_code == 200
    assert claim.claim_number in opened.content.decode()
    assert desk.get(f"/billing/statements/{statements.pk}/pdf/").status_code == 200


def test_an_older_batch_still_names_a_claim_that_was_sent_again_later(sent, users, client_for, billing_user):
    # The claim's own link moves to its newest batch; the first file still holds its data.
    claim, first, _ = sent
    claim.batch = None
    claim.save(update_fields=["batch"])
    restrict(claim.patient, users)
    assert client_for(billing_user).get(f"/billing/batch/{first.pk}/837/").status_code == 404


@pytest.mark.parametrize("role", ["registrar", "coder", "him_manager", "provider"])
def test_roles_that_do_not_work_claims_never_open_a_batch(sent, users, client_for, role):
    _, batch, statements = sent
    desk = client_for(users[role])
    assert desk.get(f"/billing/batch/{batch.pk}/837/").status_code in {403, 404}
    assert desk.get(f"/billing/statements/{statements.pk}/pdf/").status_code in {403, 404}
