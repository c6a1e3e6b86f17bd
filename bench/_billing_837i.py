"""The 837I part of the billing benchmark (bench/billing.py runs it).

- claims_837i_per_s: the 837I writer turning varied institutional claim snapshots (inpatient stays with
  room and board, operating room and ancillary lines, up to 24 other diagnoses with POA, ICD-10-PCS
  procedures, the MS-DRG, occurrence/value/condition codes; outpatient visits with HCPCS lines;
  dependents; replacements with the payer's claim number) into one interchange.
- claims_837i_valid_fraction: the share of those claims in which pyx12 (its 005010X223A2 map, the
  latest it ships) finds no error; must be 1.0.
- claims_837i_read_back_fraction: the share read back by LinuxForHealth x12 (005010X223A3) with the same
  claim number, total, bill type and revenue codes; must be 1.0. LinuxForHealth is stricter than the guide
  in two places (DMG03 "U" and an empty CL101 on an outpatient claim, both allowed by pyx12's map and the
  guide), and refuses a whole file over one such claim, so the varied claims here avoid those two shapes;
  tests/billing/test_837i_writer.py checks them with pyx12.
"""

from __future__ import annotations

import os
import random
import re
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any

CLAIMS_837I = int(os.environ.get("CHARTDESK_BENCH_CLAIMS_837I", "2000"))
SEED = 20261207
DIAGNOSES = ["J189", "I509", "N179", "E119", "I10", "E785", "J449", "I480", "N400", "K219", "E669", "Z794",
             "I2510", "N183", "E871", "D649", "F329", "G4733", "M170", "R0602", "I129", "E1122", "L89153"]
PCS = ["0SR9019", "0DTJ4ZZ", "02HV33Z", "0BH17EZ", "5A1955Z", "3E0G76Z", "0DB64Z3"]
ANCILLARY = [("0300", "80053", "85"), ("0305", "85025", "42"), ("0324", "71046", "310"), ("0250", "", "120"),
             ("0636", "J3420", "35"), ("0450", "99284", "640")]


def varied_institutional_claims(count: int, rng: random.Random) -> list[Any]:
    from chartdesk.billing.x12.elements import Party, ProviderData
    from chartdesk.billing.x12.writer837i import Diagnosis, InstitutionalClaimData, InstitutionalLine, Procedure

    payers = [Party("MEDICARE PART A", identifier="00120"), Party("ACME HEALTH PLAN", identifier="ACME1")]
    doctors = [ProviderData("LOVELACE", "ADA", "1245319599"), ProviderData("HOPPER", "GRACE", "1234567893")]
    claims = []
    for number in range(1, count + 1):
        inpatient = rng.random() < 0.6
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(280))
        nights = rng.choice([1, 2, 3, 4, 7, 12]) if inpatient else 0
        end = start + timedelta(days=nights)
        subscriber = Party(f"PATIENT{number}", "ALEX", f"M{number:08d}", "12 ELM ST", "SPRINGFIELD", "IL", "62704",
                           date(1940, 1, 1) + timedelta(days=rng.randrange(25000)), rng.choice("FM"))
        dependent = rng.random() < 0.15
        patient = Party(f"PATIENT{number}", "SAM", "", "12 ELM ST", "SPRINGFIELD", "IL", "62704",
                        date(2012, 5, 1), "F") if dependent else subscriber
        diagnoses = [Diagnosis(code, rng.choice("YYYNU") if inpatient else "")
                     for code in rng.sample(DIAGNOSES, rng.choice([1, 2, 4, 8, 13, 20]))]
        lines = []
        if inpatient:
            lines.append(InstitutionalLine("0120", "", (), Decimal(1800 * nights), Decimal(nights), "DA", start))
        for revenue, hcpcs, price in rng.sample(ANCILLARY, rng.choice([1, 2, 3])):
            units = Decimal(rng.choice([1, 1, 2]))
            lines.append(InstitutionalLine(revenue, hcpcs, (), Decimal(price) * units, units, "UN", start))
        procedures = tuple(Procedure(code, start) for code in rng.sample(PCS, rng.choice([0, 1, 2, 3]))) \
            if inpatient else ()
        frequency = rng.choice("1111117")
        claims.append(InstitutionalClaimData(
            claim_number=f"I{number:09d}", total=sum((line.amount for line in lines), Decimal("0")),
            facility_type="11" if inpatient else "13", frequency=frequency, responsibility="P",
            relationship="19" if dependent else "18", group_number="GRP1", filing_indicator=rng.choice(["MA", "CI"]),
            subscriber=subscriber, patient=patient, payer=rng.choice(payers), statement_from=start,
            statement_to=end, patient_status=rng.choice(["01", "01", "03", "06", "20"]) if inpatient else "01",
            principal_diagnosis=diagnoses[0], other_diagnoses=tuple(diagnoses[1:]), lines=tuple(lines),
            admission=datetime.combine(start, clock(rng.randrange(24), 0)) if inpatient else None,
            # outpatient claims here are emergency visits: type of visit 1 (emergency), as FL 14 reads
            admission_type=rng.choice("1233") if inpatient else "1", admission_source=rng.choice("1124"),
            discharge_hour=clock(rng.randrange(24), 0) if inpatient else None,
            admitting_diagnosis=diagnoses[0].code if inpatient else "",
            reasons_for_visit=() if inpatient else (diagnoses[0].code,),
            drg=rng.choice(["193", "291", "470", "871", "689"]) if inpatient else "", procedures=procedures,
            occurrences=(("11", start - timedelta(days=1)),) if rng.random() < 0.3 else (),
            values=(("80", Decimal(nights)),) if inpatient and rng.random() < 0.5 else (),
            conditions=("07",) if rng.random() < 0.2 else (), attending=rng.choice(doctors),
            operating=rng.choice(doctors) if procedures else None,
            payer_claim_number=f"PAYER{number}" if frequency == "7" else "",
        ))
    return claims


def measure() -> dict[str, Any]:
    from tests.billing.x12_reader import read_837i
    from tests.support.pyx12_check import pyx12_validate

    from chartdesk.billing.institutional.sendable import institutional_problems
    from chartdesk.billing.x12.writer837 import Envelope, OrganisationData
    from chartdesk.billing.x12.writer837i import build_837i

    hospital = OrganisationData("BENCH GENERAL HOSPITAL", "1234567893", "371234567", "282N00000X", "1 HOSPITAL DR",
                                "SPRINGFIELD", "IL", "627011234", "PATIENT ACCOUNTS", "2175550100", "BENCH02",
                                "CLEAR01", "BENCH CLEARINGHOUSE")
    claims = varied_institutional_claims(CLAIMS_837I, random.Random(SEED))
    print(f"billing: writing {CLAIMS_837I:,} claims as 837I...", flush=True)
    started = time.perf_counter()
    content = build_837i(hospital, claims, Envelope(2, 2, datetime(2026, 12, 7, 12, 0)))
    generate_s = time.perf_counter() - started
    problems = [p for c in claims for p in institutional_problems(c, today=date.max)]
    print("billing: pyx12 validating the 837I...", flush=True)
    started = time.perf_counter()
    check = pyx12_validate(content.replace("005010X223A3", "005010X223A2"))
    validate_s = time.perf_counter() - started
    owners, current = [], -1
    for line in content.splitlines():
        if line.startswith("HL*") and line.split("*")[3] == "22":
            current += 1
        owners.append(current)
    bad = {owners[int(m.group(1)) - 1] if (m := re.match(r"Line:(\d+)", e)) and int(m.group(1)) <= len(owners)
           else -1 for e in check.errors}
    print("billing: LinuxForHealth x12 reading the 837I back...", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.837i"
        path.write_text(content)
        started = time.perf_counter()
        read = {claim["claim_number"]: claim for claim in read_837i(path)}
        read_s = time.perf_counter() - started
    same = sum(1 for c in claims if (r := read.get(c.claim_number)) and Decimal(r["total"]) == c.total
               and r["bill_type"] == c.bill_type and [line[0] for line in r["lines"]]
               == [line.revenue_code for line in c.lines])
    return {
        "claims_837i": CLAIMS_837I,
        "claims_837i_per_s": round(CLAIMS_837I / generate_s, 1),
        "claims_837i_sendable_problems": len(problems),
        "claims_837i_valid_fraction": round(1 - len(bad) / CLAIMS_837I, 6) if check.errors else 1.0,
        "claims_837i_validator": "pyx12 4.0.0 (map 837Q3.I.5010.X223.A1, GS08 005010X223A2)",
        "claims_837i_pyx12_s": round(validate_s, 2),
        "claims_837i_pyx12_errors_sample": check.errors[:5],
        "claims_837i_read_back_fraction": round(same / CLAIMS_837I, 6),
        "claims_837i_reader": "LinuxForHealth x12 0.57.0 (005010X223A3)",
        "claims_837i_read_back_s": round(read_s, 2),
    }
