"""The hospital's claim: a coded stay priced from the chargemaster becomes an institutional claim, written
as an 837I that pyx12 validates and LinuxForHealth x12 reads back to the same claim, and printed on the
UB-04; what the guide cannot carry is a finding with the fix named; only billing staff may do any of it."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pypdf import PdfReader

from chartdesk.audit.models import AuditEvent
from chartdesk.billing.actions import do_add_coverage, encounters_ready_to_bill
from chartdesk.billing.institutional.actions import do_create_facility_claim, do_load_chargemaster
from chartdesk.billing.institutional.chargemaster import CSV_COLUMNS
from chartdesk.billing.institutional.export import do_export_837i
from chartdesk.billing.institutional.ub04 import do_print_ub04
from chartdesk.billing.models import (
    Charge,
    ChargemasterItem,
    Claim,
    ClaimKind,
    ClaimStatus,
    InstitutionalClaim,
    X12Batch,
)
from chartdesk.coding.workflow import actions as coding
from chartdesk.core.errors import ChartdeskError, NotFound, PermissionRefused
from tests.billing.x12_reader import read_837i
from tests.coding.workflow.conftest import finished_encounter
from tests.support import factories
from tests.support.pyx12_check import pyx12_validate

pytestmark = pytest.mark.django_db

CDM = ",".join(CSV_COLUMNS) + """
RB-MS,Room and board semi-private,0120,per_day,,,inpatient,1800.00,2020-01-01,
OR-MAJOR,Operating room major,0360,per_procedure,,0,,5200.00,2020-01-01,
OR-HIP,Operating room joint replacement,0360,per_procedure,,0SR,,9100.00,2020-01-01,
LAB-CMP,Comprehensive metabolic panel,0301,per_hcpcs_unit,80053,,,85.00,2020-01-01,
"""


def read_837i_text(content: str, folder) -> list[dict]:
    path = folder / "batch.837i"
    path.write_text(content)
    return read_837i(path)


def pyx12_checks(content: str) -> list[str]:
    # pyx12 ships the 837I map of the A2 errata (837Q3.I.5010.X223.A1); A3 changed nothing our writer sends.
    return pyx12_validate(content.replace("005010X223A3", "005010X223A2")).errors


@pytest.fixture
def hospital(organisation, billing_user):
    do_load_chargemaster(CDM, acting_user=billing_user)


def code(staff, encounter, diagnoses, *, pcs=(), cpt=(), inpatient=True):
    case = coding.do_start_coding(encounter, acting_user=staff.coder)
    for dx in diagnoses:
        dx, _, poa = dx.partition("/")  # "W11.XXXA/1": the code with its present-on-admission flag
        coding.do_add_diagnosis(case, dx, poa=(poa or "Y") if inpatient else "", acting_user=staff.coder)
    day = timezone.localtime(encounter.admit_at).date()
    for procedure in pcs:
        coding.do_add_procedure(case, system="icd10pcs", code=procedure, performed_on=day,
                                provider=staff.doctor.provider, acting_user=staff.coder)
    for procedure in cpt:
        coding.do_add_procedure(case, system="cpt", code=procedure, performed_on=day,
                                provider=staff.doctor.provider, acting_user=staff.coder)
    if inpatient:
        coding.do_set_inpatient_abstract(case, admission_type="3", admission_source="1", discharge_status="01",
                                         acting_user=staff.coder)
    coding.do_complete_coding(case, acting_user=staff.coder)
    return encounter


@pytest.fixture
def hip_stay(covered_patient, staff):
    """Three nights for a right hip replacement with pneumonia and heart failure, coded and complete."""
    stay = finished_encounter(staff, patient=covered_patient, length_days=3, days_ago=4)
    return code(staff, stay, ("J18.9", "I50.9", "W11.XXXA/1"), pcs=("0SR9019",))


def test_a_coded_stay_becomes_an_institutional_claim_priced_from_the_chargemaster(hospital, hip_stay, billing_user):
    claim = do_create_facility_claim(hip_stay, acting_user=billing_user)
    assert claim.kind == ClaimKind.INSTITUTIONAL
    assert list(claim.findings.values_list("message", flat=True)) == []
    assert claim.status == ClaimStatus.READY
    lines = list(claim.lines.order_by("line_number").values_list("revenue_code", "code", "units", "amount"))
    # three nights at the day rate; the 0SR (joint replacement) operating-room line beats the general "0" one
    assert lines == [("0120", "", Decimal("3.00"), Decimal("5400.00")), ("0360", "", Decimal("1.00"),
                                                                          Decimal("9100.00"))]
    assert claim.total_charge == Decimal("14500.00")
    detail = InstitutionalClaim.objects.get(claim=claim)
    assert (detail.bill_type, detail.admission_type, detail.admission_source, detail.patient_status) == \
        ("0111", "3", "1", "01")
    assert claim.diagnoses == ["J189", "I509", "W11XXXA"] and detail.poa == ["Y", "Y", "1"]
    assert detail.procedures == [["0SR9019", timezone.localtime(hip_stay.admit_at).date().isoformat()]]
    assert len(detail.drg) == 3 and detail.drg.isdigit()  # the final MS-DRG of the coding work
    assert detail.attending is not None and detail.attending.family_name == "Lovelace"
    assert AuditEvent.objects.filter(object_type="claim", object_id=str(claim.pk), action="create").exists()


def test_the_837i_validates_and_reads_back_to_the_same_claim(hospital, hip_stay, billing_user, tmp_path):
    claim = do_create_facility_claim(hip_stay, acting_user=billing_user)
    out = tmp_path / "hospital.837"
    call_command("billing", "--as", billing_user.username, "export-837", "--kind", "institutional",
                 "--out", str(out), stdout=StringIO())
    content = out.read_text()
    assert "GS*HC*PFM0001*CLEARHOUSE1" in content and "*005010X223A3~" in content
    assert pyx12_checks(content) == []
    [read] = read_837i(out)
    detail = claim.institutional
    assert read["claim_number"] == claim.claim_number and Decimal(read["total"]) == claim.total_charge
    assert read["bill_type"] == "111" and read["cl1"] == ["3", "1", "01"]
    assert ["ABK", "J189", "", "", "", "", "", "", "Y"] in read["hi"]
    assert ["ABN", "W11XXXA"] in read["hi"]  # external cause in its own HI; exempt from POA: sent blank
    assert ["DR", detail.drg] in read["hi"]
    assert ["BBR", "0SR9019", "D8", detail.procedures[0][1].replace("-", "")] in read["hi"]
    assert [line[0] for line in read["lines"]] == ["0120", "0360"]
    assert read["lines"][0][3:] == ["DA", "3"]  # accommodation is billed in days
    batch = X12Batch.objects.get()
    assert batch.kind == ClaimKind.INSTITUTIONAL and str(batch).startswith("837I batch")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED and claim.batch == batch


def test_a_professional_export_leaves_institutional_claims_alone(hospital, hip_stay, billing_user):
    do_create_facility_claim(hip_stay, acting_user=billing_user)
    from chartdesk.billing.export import do_export_837

    with pytest.raises(ChartdeskError, match="No 837P claim is ready"):
        do_export_837(acting_user=billing_user)
    assert X12Batch.objects.count() == 0


def test_an_emergency_visit_bills_hcpcs_lines_with_their_revenue_code(hospital, covered_patient, staff,
                                                                       billing_user, tmp_path):
    visit = finished_encounter(staff, encounter_class="emergency", patient=covered_patient, length_days=1)
    code(staff, visit, ("R07.9",), cpt=("80053",), inpatient=False)
    claim = do_create_facility_claim(visit, acting_user=billing_user)
    assert claim.institutional.bill_type == "0131" and claim.institutional.reasons_for_visit == ["R079"]
    assert list(claim.lines.values_list("revenue_code", "code", "amount")) == [("0301", "80053", Decimal("85.00"))]
    batch = do_export_837i(acting_user=billing_user)
    assert pyx12_checks(batch.content) == []
    assert "SV2*0301*HC:80053*85*UN*1~" in batch.content and "HI*APR:R079~" in batch.content
    assert "CL1*1**01~" in batch.content  # an emergency visit; no point of origin on an outpatient claim
    [read] = read_837i_text(batch.content, tmp_path)
    assert read["bill_type"] == "131" and read["lines"][0][:2] == ["0301", "HC:80053"]


def test_a_service_the_chargemaster_cannot_price_is_refused_by_name_and_nothing_is_written(
        organisation, hip_stay, billing_user):
    do_load_chargemaster(CDM.replace("OR-MAJOR,Operating room major,0360,per_procedure,,0,", "OR-MAJOR,Operating "
                                     "room major,0360,per_procedure,,0D,").replace(
        "OR-HIP,Operating room joint replacement,0360,per_procedure,,0SR,", "OR-HIP,Joint,0360,per_procedure,,0SG,"),
        acting_user=billing_user)
    with pytest.raises(ChartdeskError, match="no line for ICD-10-PCS procedure 0SR9019"):
        do_create_facility_claim(hip_stay, acting_user=billing_user)
    assert Claim.objects.count() == 0 and Charge.objects.count() == 0


def test_a_patient_recorded_as_x_is_a_finding_with_the_fix_and_blocks_the_batch(hospital, payer, staff,
                                                                                 billing_user):
    patient = factories.make_patient("Robin", "Hale", sex="X")
    do_add_coverage(patient, payer=payer, rank="primary", member_id="XJ55", acting_user=billing_user)
    stay = code(staff, finished_encounter(staff, patient=patient, length_days=2), ("J18.9",), pcs=("0SR9019",))
    claim = do_create_facility_claim(stay, acting_user=billing_user)
    assert claim.status == ClaimStatus.SCRUBBED
    assert list(claim.findings.values_list("message", flat=True)) == [
        "The patient's sex X cannot be sent on an 837I: record F, M or U on the patient's chart."]
    with pytest.raises(ChartdeskError, match="No 837I claim is ready"):
        do_export_837i(acting_user=billing_user)


def test_the_ub04_prints_the_claim_and_the_print_is_audited(hospital, hip_stay, billing_user):
    claim = do_create_facility_claim(hip_stay, acting_user=billing_user)
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(do_print_ub04(claim.claim_number,
                                                                                 acting_user=billing_user))).pages)
    for expected in (claim.claim_number, "0111", "0SR9019", "J18.9 Y", "ROOM AND BOARD SEMI-PR", "14,500.00",
                     "4 TYPE OF BILL", "67 PRINCIPAL DX"):
        assert expected in text, expected
    assert AuditEvent.objects.filter(action="print", object_type="ub04", object_id=str(claim.pk)).exists()


def test_a_professional_claim_is_not_printed_on_the_ub04(charged_visit, billing_user):
    from chartdesk.billing.actions import do_create_claim

    claim = do_create_claim(charged_visit, acting_user=billing_user)
    with pytest.raises(ChartdeskError, match="print it on the CMS-1500"):
        do_print_ub04(claim.claim_number, acting_user=billing_user)


def test_a_stay_keeps_its_professional_claim_path_beside_the_facility_claim(hospital, hip_stay, billing_user):
    do_create_facility_claim(hip_stay, acting_user=billing_user)
    assert hip_stay not in encounters_ready_to_bill()  # facility charges are not professional charges
    with pytest.raises(ChartdeskError, match="already has claim"):
        do_create_facility_claim(hip_stay, acting_user=billing_user)


@pytest.mark.parametrize("role", ["coder", "registrar", "roi", "him_manager", "provider", "transcriptionist"])
def test_other_roles_cannot_bill_load_the_chargemaster_or_print(role, hospital, hip_stay, billing_user):
    user = factories.make_user(role, username=f"someone-{role}")
    claim_count = Claim.objects.count()
    with pytest.raises(PermissionRefused):
        do_create_facility_claim(hip_stay, acting_user=user)
    with pytest.raises(PermissionRefused):
        do_load_chargemaster(CDM, acting_user=user)
    with pytest.raises(PermissionRefused):
        do_export_837i(acting_user=user)
    claim = do_create_facility_claim(hip_stay, acting_user=billing_user)
    with pytest.raises(NotFound):  # the claim is not there for them, as for a number that does not exist
        do_print_ub04(claim.claim_number, acting_user=user)
    assert not AuditEvent.objects.filter(object_type="ub04").exists()
    assert Claim.objects.count() == claim_count + 1


def test_the_chargemaster_is_priced_as_of_the_service_date(organisation, billing_user):
    do_load_chargemaster(CDM, acting_user=billing_user)
    do_load_chargemaster(CDM.splitlines()[0] + "\nRB-MS,Room and board semi-private,0120,per_day,,,inpatient,"
                         "1950.00,2026-01-01,\n", acting_user=billing_user)
    rows = list(ChargemasterItem.objects.filter(charge_code="RB-MS").order_by("effective_from")
                .values_list("unit_price", "effective_from", "effective_to"))
    assert rows == [(Decimal("1800.00"), datetime.date(2020, 1, 1), datetime.date(2025, 12, 31)),
                    (Decimal("1950.00"), datetime.date(2026, 1, 1), None)]


@pytest.mark.parametrize(("line", "message"), [
    ("RB,Room,120,per_day,,,inpatient,1.00,2020-01-01,", "Line 2: revenue code '120' must be four digits"),
    ("RB,Room,0120,daily,,,inpatient,1.00,2020-01-01,", "Line 2: basis 'daily' must be one of"),
    ("LAB,Lab,0300,per_hcpcs_unit,,,,1.00,2020-01-01,", "Line 2: a per-unit line needs its five-character"),
    ("RB,Room,0120,per_day,,,inpatient,ten,2020-01-01,", "Line 2: unit price 'ten' is not an amount"),
    ("RB,Room,0120,per_day,,,inpatient,1.00,01/01/2020,", "Line 2: effective_from '01/01/2020' is not a date"),
    ("RB,Room,0120,per_day,,,inpatient,1.00,2020-01-01,2019-01-01", "Line 2: effective_to is before"),
])
def test_a_bad_chargemaster_line_is_refused_with_its_line_and_nothing_is_loaded(organisation, billing_user, line,
                                                                                 message):
    text = CDM.splitlines()[0] + "\n" + line + "\n"
    with pytest.raises(ChartdeskError, match=message):
        do_load_chargemaster(text, acting_user=billing_user)
    assert ChargemasterItem.objects.count() == 0


def test_the_cli_loads_the_chargemaster_and_refuses_a_missing_file(organisation, billing_user, tmp_path):
    path = tmp_path / "cdm.csv"
    path.write_text(CDM)
    out = StringIO()
    call_command("billing", "--as", billing_user.username, "load-chargemaster", str(path), stdout=out)
    assert "Loaded 4 chargemaster lines" in out.getvalue()
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("billing", "--as", billing_user.username, "load-chargemaster", str(tmp_path / "none.csv"))


def test_the_desk_bills_a_stay_on_an_837i_and_prints_its_ub04(hospital, hip_stay, billing_user, client_for):
    client = client_for(billing_user)
    page = client.get("/billing/claims/").content.decode()
    assert "Create facility claims, 837I (1 stay)" in page
    client.post("/billing/claims/create-facility/")
    claim = Claim.objects.get(kind=ClaimKind.INSTITUTIONAL)
    page = client.get(f"/billing/claim/{claim.pk}/").content.decode()
    for expected in ("Institutional (837I, UB-04)", "Type of bill", "0111", "0SR9019", "UB-04 (CMS-1450)"):
        assert expected in page, expected
    assert "CMS-1500 (plain paper)" not in page
    pdf = client.get(f"/billing/claim/{claim.pk}/ub04.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    batches = client.get("/billing/batches/").content.decode()
    assert "Write an 837I batch of the 1 ready institutional claim" in batches
    client.post("/billing/batches/", {"kind": "institutional"})
    batch = X12Batch.objects.get()
    assert batch.kind == ClaimKind.INSTITUTIONAL and pyx12_checks(batch.content) == []
    download = client.get(f"/billing/batch/{batch.pk}/837/")
    assert download["Content-Disposition"] == f'attachment; filename="837I-{batch.interchange_control:09d}.txt"'


@pytest.mark.parametrize("role", ["coder", "registrar", "roi"])
def test_other_roles_get_nothing_from_the_facility_pages(role, hospital, hip_stay, billing_user, client_for):
    claim = do_create_facility_claim(hip_stay, acting_user=billing_user)
    client = client_for(factories.make_user(role, username=f"desk-{role}"))
    assert client.post("/billing/claims/create-facility/").status_code == 403
    assert client.get(f"/billing/claim/{claim.pk}/ub04.pdf").status_code == 403
    assert Claim.objects.count() == 1 and not AuditEvent.objects.filter(object_type="ub04").exists()


def test_the_demo_chargemaster_loads_and_prices_every_procedure_section(organisation, billing_user):
    from chartdesk.billing.demo import DEMO_CHARGEMASTER

    count = do_load_chargemaster(DEMO_CHARGEMASTER.read_text(encoding="utf-8"), acting_user=billing_user)
    assert count == ChargemasterItem.objects.count() > 20
    prefixes = set(ChargemasterItem.objects.exclude(pcs_prefix="").values_list("pcs_prefix", flat=True))
    for section in "013456BCDFGX":
        assert any(prefix.startswith(section) for prefix in prefixes), section
