"""The 837I writer on its own, shape by shape: each file passes pyx12 and reads back the same in the
independent reader (LinuxForHealth x12)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest

from chartdesk.billing.x12.elements import Party, ProviderData
from chartdesk.billing.x12.writer837 import Envelope, OrganisationData, OtherPayerData
from chartdesk.billing.x12.writer837i import (
    Diagnosis,
    InstitutionalClaimData,
    InstitutionalLine,
    PriorInstitutionalLinePayment,
    Procedure,
    build_837i,
)
from tests.billing.x12_reader import read_837i
from tests.support.pyx12_check import pyx12_validate

HOSPITAL = OrganisationData(
    name="Prairie General Hospital", npi="1234567893", tax_id="371234567", taxonomy="282N00000X",
    address_line="1 Hospital Drive", city="Springfield", state="IL", zip_code="627011234",
    contact_name="Patient Accounts", phone="2175550100", submitter_id="PGH0001", receiver_id="CLEARHOUSE1",
    receiver_name="Example Clearinghouse")
JANE = Party("DOE", "JANE", "MEM123", "12 ELM ST", "SPRINGFIELD", "IL", "62704", date(1950, 1, 2), "F")
KIT = Party("DOE", "KIT", "", "12 ELM ST", "SPRINGFIELD", "IL", "62704", date(2015, 6, 1), "M")
MEDICARE = Party("MEDICARE PART A", identifier="00120")
ACME = Party("ACME HEALTH PLAN", identifier="ACME1")
ATTENDING = ProviderData("LOVELACE", "ADA", "1245319599")
DAY = date(2026, 3, 2)


def stay(**changes) -> InstitutionalClaimData:
    values = dict(
        claim_number="C100", total=Decimal("5400"), facility_type="11", frequency="1", responsibility="P",
        relationship="18", group_number="", filing_indicator="MA", subscriber=JANE, patient=JANE, payer=MEDICARE,
        statement_from=DAY, statement_to=date(2026, 3, 5), patient_status="01",
        principal_diagnosis=Diagnosis("J189", "Y"), admission=datetime(2026, 3, 2, 10, 30), admission_type="1",
        admission_source="1", discharge_hour=time(14, 0), admitting_diagnosis="R0602", attending=ATTENDING,
        lines=(InstitutionalLine("0120", "", (), Decimal("5400"), Decimal("3"), "DA", DAY),),
    )
    values.update(changes)
    return InstitutionalClaimData(**values)  # type: ignore[arg-type]


def written(tmp_path: Path, *claims: InstitutionalClaimData) -> tuple[str, list[dict]]:
    content = build_837i(HOSPITAL, list(claims), Envelope(interchange_control=7, group_control=7,
                                                          created=datetime(2026, 3, 6, 9, 0)))
    assert pyx12_validate(content.replace("005010X223A3", "005010X223A2")).errors == []
    path = tmp_path / "claims.837i"
    path.write_text(content)
    return content, read_837i(path)


def test_more_than_twelve_other_diagnoses_continue_in_a_second_hi(tmp_path):
    others = tuple(Diagnosis(code, "N") for code in ("I10", "E119", "N179", "I509", "J449", "E785", "I480", "N400",
                                                     "R509", "R05", "Z794", "Z8701", "E669", "K219"))
    content, [read] = written(tmp_path, stay(other_diagnoses=others))
    hi = [line for line in content.splitlines() if line.startswith("HI*ABF")]
    assert [line.count("ABF:") for line in hi] == [12, 2]
    assert sum(1 for code in read["hi"] if code[0] == "ABF") == 14


def test_a_replacement_claim_carries_frequency_7_and_the_payer_claim_number(tmp_path):
    content, [read] = written(tmp_path, stay(frequency="7", payer_claim_number="PAYER-99"))
    assert read["bill_type"] == "117" and "REF*F8*PAYER-99~" in content


def test_a_void_is_frequency_8(tmp_path):
    _, [read] = written(tmp_path, stay(frequency="8", payer_claim_number="PAYER-99"))
    assert read["bill_type"] == "118"


def test_a_dependent_patient_sits_under_the_subscriber(tmp_path):
    content, [read] = written(tmp_path, stay(relationship="19", subscriber=JANE, patient=KIT, payer=ACME,
                                             filing_indicator="CI"))
    assert "PAT*19~" in content and "NM1*QC*1*DOE*KIT~" in content
    assert read["claim_number"] == "C100"


def secondary(*lines: InstitutionalLine) -> InstitutionalClaimData:
    other = OtherPayerData(responsibility="P", relationship="18", group_number="", filing_indicator="MA",
                           subscriber=JANE, payer=MEDICARE, paid_amount=Decimal("4000"),
                           adjustments=(("CO", "45", Decimal("1000")),), adjudication_date=date(2026, 4, 1))
    return stay(responsibility="S", payer=ACME, filing_indicator="CI", other_payer=other, lines=lines,
                total=sum((line.amount for line in lines), Decimal("0")))


def paid(amount: str, *adjustments: tuple[str, str, Decimal], units: str = "1") -> PriorInstitutionalLinePayment:
    return PriorInstitutionalLinePayment(paid=Decimal(amount), units=Decimal(units), adjustments=adjustments,
                                         adjudication_date=date(2026, 4, 1))


def test_a_secondary_claim_carries_the_primary_payment_per_line(tmp_path):
    line = InstitutionalLine("0301", "80053", (), Decimal("85"), Decimal("1"), "UN", DAY,
                             prior_payment=paid("60", ("CO", "45", Decimal("15")), ("PR", "1", Decimal("10"))))
    content, [read] = written(tmp_path, secondary(line))
    assert "SVD*00120*60*HC:80053*0301*1~" in content and "CAS*PR*1*10~" in content
    assert read["lines"][0][:3] == ["0301", "HC:80053", "85"]


def test_a_secondary_room_line_sends_its_revenue_code_without_a_procedure():
    # SVD03 is situational in 005010X223 (pyx12's map agrees); the independent reader insists on it, wrongly,
    # so this shape is checked by pyx12 alone.
    line = InstitutionalLine("0120", "", (), Decimal("5400"), Decimal("3"), "DA", DAY,
                             prior_payment=paid("4000", ("CO", "45", Decimal("1000")), ("PR", "1", Decimal("400")),
                                                units="3"))
    content = build_837i(HOSPITAL, [secondary(line)], Envelope(interchange_control=2, group_control=2,
                                                                created=datetime(2026, 4, 2)))
    assert pyx12_validate(content.replace("005010X223A3", "005010X223A2")).errors == []
    assert "SVD*00120*4000**0120*3~" in content


def test_a_line_that_does_not_reconcile_is_refused():
    prior = PriorInstitutionalLinePayment(paid=Decimal("10"), units=Decimal("1"), adjustments=(),
                                          adjudication_date=DAY)
    other = OtherPayerData("P", "18", "", "MA", JANE, MEDICARE, Decimal("10"), (), DAY)
    line = InstitutionalLine("0120", "", (), Decimal("5400"), Decimal("3"), "DA", DAY, prior_payment=prior)
    with pytest.raises(ValueError, match="paid 10 \\+ adjustments 0 != charge 5400"):
        build_837i(HOSPITAL, [stay(other_payer=other, lines=(line,))],
                   Envelope(interchange_control=1, group_control=1, created=datetime(2026, 3, 6)))


def test_procedures_occurrences_values_and_conditions_each_have_their_hi(tmp_path):
    claim = stay(drg="470", procedures=(Procedure("0SR9019", DAY), Procedure("0DTJ4ZZ", date(2026, 3, 3))),
                 occurrences=(("11", date(2026, 3, 1)),), occurrence_spans=(("74", DAY, date(2026, 3, 3)),),
                 values=(("80", Decimal("3")),), conditions=("07", "39"),
                 operating=ProviderData("HOPPER", "GRACE", "1245319599"))
    content, [read] = written(tmp_path, claim)
    for expected in ("HI*DR:470~", "HI*BBR:0SR9019:D8:20260302~", "HI*BBQ:0DTJ4ZZ:D8:20260303~",
                     "HI*BI:74:RD8:20260302-20260303~", "HI*BH:11:D8:20260301~", "HI*BE:80:::3~", "HI*BG:07*BG:39~",
                     "NM1*72*1*HOPPER*GRACE****XX*1245319599~", "DTP*435*DT*202603021030~", "DTP*096*TM*1400~"):
        assert expected in content, expected
    assert ["DR", "470"] in read["hi"] and ["BG", "39"] in read["hi"]


@pytest.mark.parametrize("claim", [
    stay(subscriber=Party("DOE", "ALEX", "MEM9", "12 ELM ST", "SPRINGFIELD", "IL", "62704", date(1980, 1, 2), "U"),
         patient=Party("DOE", "ALEX", "MEM9", "12 ELM ST", "SPRINGFIELD", "IL", "62704", date(1980, 1, 2), "U")),
    stay(facility_type="13", admission=None, admission_type="", admission_source="", discharge_hour=None,
         admitting_diagnosis="", reasons_for_visit=("R079",),
         lines=(InstitutionalLine("0300", "80053", (), Decimal("85"), Decimal("1"), "UN", DAY),), total=Decimal("85")),
], ids=["sex-unknown", "outpatient-without-type-of-visit"])
def test_what_the_guide_allows_and_the_independent_reader_refuses_is_still_sent(claim):
    # DMG03 "U" and an outpatient CL1 without CL101 are allowed by 005010X223 (pyx12's map agrees);
    # LinuxForHealth x12 0.57 refuses both, so these shapes are checked by pyx12 alone.
    content = build_837i(HOSPITAL, [claim], Envelope(interchange_control=3, group_control=3,
                                                      created=datetime(2026, 4, 2)))
    assert pyx12_validate(content.replace("005010X223A3", "005010X223A2")).errors == []
