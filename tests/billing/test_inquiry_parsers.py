"""Property tests of the inquiry readers and writers: a damaged 271 or 277 is read or refused with its segment
position, never anything else; every 270 and 276 the writers make has a correct envelope (SE01 counts, SE02
numbers, GS01 and GS08) whatever the requests."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from chartdesk.billing.x12.envelope import check_envelope
from chartdesk.billing.x12.parser271 import parse_271
from chartdesk.billing.x12.parser277status import parse_277_status
from chartdesk.billing.x12.segments import X12Malformed, split
from chartdesk.billing.x12.writer270 import EligibilityRequest, Envelope, Person, Receiver, build_270
from chartdesk.billing.x12.writer276 import Provider, StatusRequest, build_276

PUBLIC = Path(__file__).resolve().parents[1] / "data" / "x12"
GOOD_271 = (PUBLIC / "271" / "dependent-health-benefit-check.271").read_text()
GOOD_277 = (PUBLIC / "277" / "claim-level-status.277").read_text()
ENVELOPE = Envelope(interchange_control=42, group_control=42, created=datetime(2026, 12, 7, 9, 30))


@settings(max_examples=300, deadline=None)
@given(which=st.sampled_from(["271", "277"]), position=st.integers(min_value=0, max_value=len(GOOD_271) - 1),
       junk=st.text(max_size=5))
def test_a_damaged_271_or_277_is_read_or_refused_with_its_segment(which, position, junk):
    good, parse = (GOOD_271, parse_271) if which == "271" else (GOOD_277, parse_277_status)
    damaged = good[:position] + junk + good[position + 1:]
    try:
        parse(damaged)
    except X12Malformed as refusal:
        assert refusal.position >= 0
        assert str(refusal).startswith(f"segment {refusal.position}")


people = st.builds(Person, family_name=st.sampled_from(["GARCIA", "O BRIEN", "NGUYEN"]),
                   given_name=st.sampled_from(["MARIA", "LUIS", ""]),
                   birth_date=st.one_of(st.none(), st.dates(date(1920, 1, 1), date(2025, 1, 1))),
                   sex=st.sampled_from(["F", "M", "U", "X", ""]))
payers = st.sampled_from([("ACME HEALTH", "ACME1"), ("MEDICARE B", "MCRB1"), ("BLUE", "BL1")])


@st.composite
def eligibility_requests(draw):
    count = draw(st.integers(min_value=1, max_value=12))
    found = []
    for n in range(count):
        payer = draw(payers)
        found.append(EligibilityRequest(trace_number=f"42-{n}", payer_name=payer[0], payer_id=payer[1],
                                        member_id=f"M{n}", group_number=draw(st.sampled_from(["", "G1"])),
                                        subscriber=draw(people), dependent=draw(st.one_of(st.none(), people)),
                                        service_date=draw(st.dates(date(2026, 1, 1), date(2027, 1, 1)))))
    return found


@settings(max_examples=100, deadline=None)
@given(requests=eligibility_requests())
def test_every_270_has_a_correct_envelope_and_one_trace_per_request(requests):
    text = build_270(Receiver("PRAIRIE", "1234567893", "371234567", "PFM1", "CLEAR1"), requests, ENVELOPE)
    _, segments = split(text)
    check_envelope(segments, functional_id="HS", version="005010X279A1", set_id="270", name="270")
    traces = [s.get(2) for s in segments if s.id == "TRN"]
    assert sorted(traces) == sorted(r.trace_number for r in requests)
    assert [s.get(1) for s in segments if s.id == "ST"] == ["270"] * len({r.payer_id for r in requests})
    assert all(s.get(3) in ("", "F", "M", "U") for s in segments if s.id == "DMG")


@settings(max_examples=100, deadline=None)
@given(requests=eligibility_requests(), charge=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"),
                                                           places=2))
def test_every_276_has_a_correct_envelope_and_one_trace_per_claim(requests, charge):
    claims = [StatusRequest(trace_number=r.trace_number, claim_number=f"CD{n}", payer_claim_number="",
                            payer_name=r.payer_name, payer_id=r.payer_id, member_id=r.member_id,
                            subscriber=r.subscriber, dependent=r.dependent, total_charge=charge,
                            service_from=r.service_date, service_to=r.service_date) for n, r in enumerate(requests)]
    text = build_276(Provider("PRAIRIE", "1234567893", "PFM1", "CLEAR1"), claims, ENVELOPE)
    _, segments = split(text)
    check_envelope(segments, functional_id="HR", version="005010X212", set_id="276", name="276")
    assert sorted(s.get(2) for s in segments if s.id == "TRN") == sorted(c.trace_number for c in claims)
