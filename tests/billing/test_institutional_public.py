"""Public 837I examples (tests/data/x12/README.md): the independent reader our 837I is read back with reads
every one of them, and the validator our 837I passes refuses the 4010-era values they carry, which are the
very rules our writer follows (nine-digit billing ZIP, no CLM06, a statement period as RD8)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.billing.x12_reader import read_837i
from tests.support.pyx12_check import pyx12_validate

PUBLIC = Path(__file__).resolve().parents[1] / "data" / "x12" / "837i"


def pyx12_errors(path: Path) -> list[str]:
    return pyx12_validate(path.read_text().replace("005010X223A3", "005010X223A2")).errors


@pytest.mark.parametrize("name", sorted(p.name for p in PUBLIC.glob("*.837i")))
def test_the_independent_reader_reads_every_public_example(name):
    claims = read_837i(PUBLIC / name)
    assert claims and all(claim["claim_number"] and claim["lines"] for claim in claims)


def test_the_guide_example_reads_as_published():
    [claim] = read_837i(PUBLIC / "institutional-claim.837i")
    assert (claim["claim_number"], Decimal(claim["total"]), claim["bill_type"]) == ("756048Q", Decimal("89.93"), "141")
    assert [line[0] for line in claim["lines"]] == ["0305", "0730"]
    assert claim["cl1"] == ["3", None, "01"]


def test_two_claims_under_one_provider_are_both_read():
    claims = read_837i(PUBLIC / "two-claims-single-provider.837i")
    assert len(claims) == 2 and len({c["claim_number"] for c in claims}) == 2


def test_the_validator_refuses_the_values_our_writer_never_sends():
    errors = " | ".join(pyx12_errors(PUBLIC / "institutional-claim.837i"))
    assert 'Billing Provider Postal Zone or ZIP Code" with a value of (17111)' in errors
    assert "(CLM06) is marked as Not Used" in errors
    assert "(D8) is not a valid code for Date Time Period Format Qualifier (DTP02)" in errors
