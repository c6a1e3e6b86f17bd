"""Parsers meet arbitrary input: an 835 either parses or is refused with a segment position."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chartdesk.billing.x12.parser835 import parse_835
from chartdesk.billing.x12.segments import X12Malformed
from chartdesk.billing.x12.writer837 import (
    ClaimData,
    Envelope,
    LineData,
    OrganisationData,
    OtherPayerData,
    Party,
    PriorLinePayment,
    build_837,
)
from tests.billing.remits import Paid, remit_835
from tests.support.reader837 import read_837

GOOD = remit_835([
    Paid("CD0000000001", Decimal("152.00"), Decimal("120.00"), [("CO", "45", Decimal("32.00"))]),
    Paid("CD0000000002", Decimal("152.00"), Decimal("108.00"), services=[
        ("99213:25", Decimal("140.00"), Decimal("100.00"), [("CO", "45", Decimal("20.00")),
                                                            ("PR", "2", Decimal("20.00"))]),
        ("36415", Decimal("12.00"), Decimal("8.00"), [("CO", "45", Decimal("4.00"))])]),
])


def test_the_835_parser_keeps_each_service_lines_code_modifiers_date_and_adjustments():
    [remit] = parse_835(GOOD.decode())
    first, second = remit.claims[1].services
    assert (first.code, first.modifiers, first.charge, first.paid, first.units, first.service_date) == (
        "99213", ("25",), Decimal("140.00"), Decimal("100.00"), Decimal("1"), date(2026, 11, 17))
    assert [(a.group, a.reason, a.amount) for a in first.adjustments] == [
        ("CO", "45", Decimal("20.00")), ("PR", "2", Decimal("20.00"))]
    assert (second.code, second.modifiers, second.paid) == ("36415", (), Decimal("8.00"))
    assert remit.claims[0].services == []


@settings(max_examples=300, deadline=None)
@given(position=st.integers(min_value=0, max_value=len(GOOD) - 1), junk=st.text(max_size=5))
def test_a_damaged_835_parses_or_is_refused_with_its_segment(position, junk):
    damaged = GOOD.decode()[:position] + junk + GOOD.decode()[position + 1:]
    try:
        remits = parse_835(damaged)
    except X12Malformed as refusal:
        assert refusal.position >= 1
        assert str(refusal).startswith(f"segment {refusal.position}")
    else:
        assert remits and all(r.trace_number for r in remits)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_random_text_is_never_taken_for_an_835(text):
    try:
        parse_835(text)
    except X12Malformed:
        pass


codes = st.sampled_from(["99213", "99214", "93000", "36415", "J3420", "0001U", "0075T"])
modifiers = st.lists(st.sampled_from(["25", "59", "XU", "26", "TC", "GT"]), max_size=4, unique=True)
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
lines = st.builds(LineData, code=codes, modifiers=modifiers.map(tuple), amount=money,
                  units=st.integers(min_value=1, max_value=99).map(Decimal),
                  pointers=st.just((1,)), service_date=st.dates(date(2020, 1, 1), date(2030, 1, 1)),
                  place_of_service=st.just("11"))


@settings(max_examples=60, deadline=None)
@given(claim_lines=st.lists(lines, min_size=1, max_size=50),
       diagnoses=st.lists(st.sampled_from(["E119", "I10", "J069", "Z0000", "M5450"]), min_size=1, max_size=5,
                          unique=True))
def test_any_claim_the_writer_makes_reads_back_the_same(claim_lines, diagnoses):
    organisation = OrganisationData("ORG", "1234567893", "371234567", "207Q00000X", "1 MAIN", "TOWN", "IL",
                                    "627011234", "OFFICE", "2175550100", "S1", "R1", "RECEIVER")
    person = Party("DOE", "JANE", "M1", "1 ELM", "TOWN", "IL", "62704", date(1980, 1, 1), "F")
    claim = ClaimData("CD1", sum((x.amount for x in claim_lines), Decimal("0")), "11", "P", "18", "G", "CI", person,
                      person, Party("PLAN", identifier="P1"), tuple(diagnoses), tuple(claim_lines))
    [back] = read_837(build_837(organisation, [claim], Envelope(7, 7, datetime(2026, 1, 1)))).claims
    assert back.total == claim.total
    assert back.diagnoses == tuple(diagnoses)
    assert [(x.code, x.modifiers, x.amount, x.units, x.service_date) for x in back.lines] == [
        (x.code, x.modifiers, x.amount, x.units, x.service_date) for x in claim_lines
    ]


@st.composite
def adjudicated_lines(draw: st.DrawFn) -> tuple[LineData, ...]:
    """Lines of a secondary claim, each with a primary adjudication that reconciles (paid + CAS = charge)."""
    made = []
    for line in draw(st.lists(lines, min_size=1, max_size=20)):
        paid = draw(st.decimals(min_value=Decimal("0"), max_value=line.amount, places=2))
        patient_share = draw(st.decimals(min_value=Decimal("0"), max_value=line.amount - paid, places=2))
        adjustments = tuple((group, reason, value) for group, reason, value in
                            (("CO", "45", line.amount - paid - patient_share), ("PR", "2", patient_share)) if value)
        prior = PriorLinePayment(paid=paid, units=line.units, adjustments=adjustments,
                                 adjudication_date=draw(st.dates(date(2020, 1, 1), date(2030, 1, 1))))
        made.append(replace(line, prior_payment=prior))
    return tuple(made)


@settings(max_examples=60, deadline=None)
@given(claim_lines=adjudicated_lines())
def test_any_secondary_claim_reads_back_with_each_lines_primary_adjudication(claim_lines):
    organisation = OrganisationData("ORG", "1234567893", "371234567", "207Q00000X", "1 MAIN", "TOWN", "IL",
                                    "627011234", "OFFICE", "2175550100", "S1", "R1", "RECEIVER")
    person = Party("DOE", "JANE", "M1", "1 ELM", "TOWN", "IL", "62704", date(1980, 1, 1), "F")
    primary_payer = Party("FIRST PLAN", identifier="P1")
    paid = sum((x.prior_payment.paid for x in claim_lines), Decimal("0"))
    other = OtherPayerData("P", "18", "G", "CI", person, primary_payer, paid, (), date(2026, 1, 2))
    claim = ClaimData("CD2", sum((x.amount for x in claim_lines), Decimal("0")), "11", "S", "18", "G", "MB", person,
                      person, Party("SECOND PLAN", identifier="P2"), ("I10",), claim_lines, other_payer=other)
    [back] = read_837(build_837(organisation, [claim], Envelope(8, 8, datetime(2026, 1, 1)))).claims
    assert back.other_payer_paid == paid
    assert back.other_payer_adjustments == []
    assert [(x.prior_payer_id, x.prior_paid, x.prior_units, x.prior_adjustments, x.prior_adjudication_date)
            for x in back.lines] == [
        ("P1", x.prior_payment.paid, x.units, list(x.prior_payment.adjustments), x.prior_payment.adjudication_date)
        for x in claim_lines
    ]


def test_the_writer_refuses_a_line_adjudication_that_does_not_reconcile():
    organisation = OrganisationData("ORG", "1234567893", "371234567", "207Q00000X", "1 MAIN", "TOWN", "IL",
                                    "627011234", "OFFICE", "2175550100", "S1", "R1", "RECEIVER")
    person = Party("DOE", "JANE", "M1", "1 ELM", "TOWN", "IL", "62704", date(1980, 1, 1), "F")
    prior = PriorLinePayment(Decimal("50"), Decimal("1"), (("CO", "45", Decimal("10")),), date(2026, 1, 2))
    line = LineData("99213", (), Decimal("100.00"), Decimal("1"), (1,), date(2026, 1, 1), "11", prior_payment=prior)
    other = OtherPayerData("P", "18", "G", "CI", person, Party("FIRST PLAN", identifier="P1"), Decimal("50"), (),
                           date(2026, 1, 2))
    claim = ClaimData("CD3", Decimal("100.00"), "11", "S", "18", "G", "MB", person, person,
                      Party("SECOND PLAN", identifier="P2"), ("I10",), (line,), other_payer=other)
    with pytest.raises(ValueError, match=r"line 99213: paid 50 \+ adjustments 10 != charge 100.00"):
        build_837(organisation, [claim], Envelope(9, 9, datetime(2026, 1, 1)))
