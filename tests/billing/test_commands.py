"""The `chartdesk billing` command: create-claims, export-837, import-835 and statements."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chartdesk.billing.models import Claim, ClaimStatus, LedgerEntry
from tests.billing.remits import Paid, remit_835
from tests.support.pyx12_check import pyx12_validate

pytestmark = pytest.mark.django_db


def run(*args, user=None):
    import io

    out = io.StringIO()
    call_command("billing", *(("--as", user.username) if user else ()), *args, stdout=out)
    return out.getvalue()


def test_create_claims_then_export_837_writes_a_valid_batch(charged_visit, billing_user, tmp_path):
    said = run("create-claims", user=billing_user)
    assert said.startswith("1 claims created: 1 ready, 0 with findings to fix.")
    out = tmp_path / "batch.837"
    said = run("export-837", "--out", str(out))  # the only billing user acts without --as
    assert "Wrote 1 claims (152.00)" in said
    assert pyx12_validate(out.read_text()).valid
    assert Claim.objects.get().status == ClaimStatus.SUBMITTED


def test_export_refuses_to_overwrite_a_file(charged_visit, billing_user, tmp_path):
    out = tmp_path / "batch.837"
    out.write_text("keep me")
    run("create-claims", user=billing_user)
    with pytest.raises(CommandError) as refusal:
        run("export-837", "--out", str(out), user=billing_user)
    assert "already exists" in str(refusal.value)
    assert out.read_text() == "keep me"


def test_import_835_posts_once_and_refuses_a_malformed_file(charged_visit, billing_user, tmp_path):
    run("create-claims", user=billing_user)
    run("export-837", "--out", str(tmp_path / "b.837"), user=billing_user)
    claim = Claim.objects.get()
    remit = tmp_path / "remit.835"
    remit.write_bytes(remit_835([Paid(claim.claim_number, Decimal("152.00"), Decimal("152.00"))]))
    assert "1 claims posted" in run("import-835", str(remit), user=billing_user)
    assert "was imported before: nothing changed" in run("import-835", str(remit), user=billing_user)
    broken = tmp_path / "broken.835"
    broken.write_text(remit.read_text().replace("CLP*", "CLP*X*", 1).replace("*152.00*152.00*", "*152.00*ABC*"))
    entries = LedgerEntry.objects.count()
    with pytest.raises(CommandError) as refusal:
        run("import-835", str(broken), user=billing_user)
    assert "segment 10 (CLP)" in str(refusal.value)
    assert LedgerEntry.objects.count() == entries


def test_a_user_without_billing_permission_is_refused(charged_visit, users):
    with pytest.raises(CommandError) as refusal:
        run("create-claims", user=users["coder"])
    assert "permission" in str(refusal.value)
