"""Billing benchmark: 837P generation and its pyx12 validation on 10,000 claims, and 835 posting.

- claims_837_per_s: the 837P writer turning 10,000 varied claim snapshots (one to eight lines, up
  to twelve diagnoses, modifiers, dependents, secondary claims with COB loops: half of them with the
  primary's adjudication line by line in 2430 loops) into one interchange.
- pyx12_validate_s_10000: pyx12 (the peer validator) checking that same file.
- sendable_checks_per_s: `x12/sendable.claim_problems` (what the export runs on each snapshot before
  writing) over those claims; sendable_problems must be 0 for these valid claims.
- claims_generated_valid_fraction: the share of those claims pyx12 found no error in (must be 1.0).
- era_835_claims_posted_per_s: `do_import_835` posting an 835 of ERA_CLAIMS claims (each with a
  service line adjudicated CO and PR) against submitted claims in a fresh, migrated SQLite database
  (synchronous=FULL), service lines, ledger and audit included.

The 837I figures (claims_837i_*) are described in bench/_billing_837i.py.

`python -m bench.billing` runs it alone; CHARTDESK_BENCH_CLAIMS changes the 837P claim count.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CLAIMS = int(os.environ.get("CHARTDESK_BENCH_CLAIMS", "10000"))
ERA_CLAIMS = int(os.environ.get("CHARTDESK_BENCH_ERA_CLAIMS", "1000"))
SEED = 20261127
CODES = ["99202", "99203", "99213", "99214", "93000", "36415", "80053", "85025", "71046", "J3420", "96372"]
MODIFIERS = ["25", "59", "XU", "XS", "26", "TC", "GT", "95", "76", "91"]
DIAGNOSES = ["E119", "I10", "J069", "R0789", "E538", "D519", "R059", "J209", "M5450", "K219", "F411", "G4700",
             "N390", "L309", "Z0000", "J45909", "E785"]


def varied_claims(count: int, rng: random.Random) -> tuple[Any, list[Any]]:
    from chartdesk.billing.x12.writer837 import ClaimData, LineData, OrganisationData, Party, ProviderData

    organisation = OrganisationData("BENCH PHYSICIANS", "1234567893", "371234567", "207Q00000X", "100 MAIN STREET",
                                    "SPRINGFIELD", "IL", "627011234", "BILLING OFFICE", "2175550100", "BENCH01",
                                    "CLEAR01", "BENCH CLEARINGHOUSE")
    providers = [ProviderData("LOVELACE", "ADA", "1245319599"), ProviderData("HOPPER", "GRACE", "1234567893")]
    payers = [Party("ACME HEALTH PLAN", identifier="ACME1"), Party("MEDICARE PART B", identifier="MCRB1")]
    claims = []
    for number in range(1, count + 1):
        diagnoses = tuple(rng.sample(DIAGNOSES, rng.choice([1, 2, 3, 4, 12])))
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
        lines = tuple(
            LineData(code=rng.choice(CODES), modifiers=tuple(rng.sample(MODIFIERS, rng.choice([0, 0, 1, 2, 4]))),
                     amount=Decimal(rng.randrange(1000, 30000)) / 100, units=Decimal(rng.choice([1, 1, 2, 3])),
                     pointers=tuple(range(1, min(len(diagnoses), 4) + 1)), service_date=day, place_of_service="11",
                     rendering=rng.choice(providers))
            for _ in range(rng.choice([1, 1, 2, 3, 8]))
        )
        subscriber = Party("GARCIA", "MARIA", f"M{number:09d}", "12 ELM STREET", "SPRINGFIELD", "IL", "62704",
                           date(1960, 1, 1) + timedelta(days=rng.randrange(20000)), rng.choice("FM"))
        dependent = rng.random() < 0.2
        patient = (Party("GARCIA", "LUIS", "", "12 ELM STREET", "SPRINGFIELD", "IL", "62704", date(2015, 6, 1), "M")
                   if dependent else subscriber)
        secondary = rng.random() < 0.15
        other = None
        if secondary:
            lines, other = _primary_adjudication(lines, subscriber, payers[0], day, by_line=rng.random() < 0.5)
        claims.append(ClaimData(
            claim_number=f"BN{number:010d}", total=sum((line.amount for line in lines), Decimal("0")),
            place_of_service="11", responsibility="S" if secondary else "P", relationship="19" if dependent else "18",
            group_number="GRP1", filing_indicator="MB" if secondary else "CI", subscriber=subscriber,
            patient=patient, payer=payers[1] if secondary else payers[0], diagnoses=diagnoses, lines=lines,
            rendering=lines[0].rendering, other_payer=other,
        ))
    return organisation, claims


def _primary_adjudication(lines: tuple[Any, ...], subscriber: Any, payer: Any, day: date,
                          by_line: bool) -> tuple[tuple[Any, ...], Any]:
    """The primary's decision on a secondary claim: line by line (2430 loops) or at the claim level only.

    The amounts reconcile as the 837P asks: each line's paid + adjustments = its charge, and the
    claim's paid + adjustments = its total.
    """
    from dataclasses import replace

    from chartdesk.billing.x12.writer837 import OtherPayerData, PriorLinePayment

    cent = Decimal("0.01")
    priced = []
    for line in lines:
        paid = (line.amount * Decimal("0.7")).quantize(cent)
        share = (line.amount * Decimal("0.1")).quantize(cent)
        adjustments = (("CO", "45", line.amount - paid - share), ("PR", "2", share))
        priced.append((line, paid, tuple(a for a in adjustments if a[2])))
    paid_total = sum((paid for _, paid, _ in priced), Decimal("0"))
    if by_line:
        lines = tuple(replace(line, prior_payment=PriorLinePayment(paid, line.units, adjustments, day))
                      for line, paid, adjustments in priced)
        claim_adjustments: tuple[tuple[str, str, Decimal], ...] = ()
    else:
        totals: dict[tuple[str, str], Decimal] = {}
        for _, _, adjustments in priced:
            for group, reason, value in adjustments:
                totals[(group, reason)] = totals.get((group, reason), Decimal("0")) + value
        claim_adjustments = tuple((group, reason, value) for (group, reason), value in totals.items())
    return lines, OtherPayerData("P", "18", "GRP1", "CI", subscriber, payer, paid_total, claim_adjustments, day)


def _claim_of_line(content: str) -> list[int]:
    """For each line of the file, the index of the claim it belongs to (-1 before the first CLM)."""
    owner, current = [], -1
    for line in content.splitlines():
        if line.startswith("HL*") and line.split("*")[3] == "22":
            current += 1
        owner.append(current)
    return owner


def generation_and_validation() -> dict[str, Any]:
    from tests.support.pyx12_check import pyx12_validate

    from chartdesk.billing.x12.writer837 import Envelope, build_837

    organisation, claims = varied_claims(CLAIMS, random.Random(SEED))
    print(f"billing: writing {CLAIMS:,} claims as 837P...", flush=True)
    started = time.perf_counter()
    content = build_837(organisation, claims, Envelope(1, 1, datetime(2026, 11, 27, 12, 0)))
    generate_s = time.perf_counter() - started
    # The export checks every snapshot against what the 837P may carry before it writes (x12/sendable.py).
    from chartdesk.billing.x12.sendable import claim_problems, organisation_problems

    started = time.perf_counter()
    problems = organisation_problems(organisation) + [p for c in claims for p in claim_problems(c, today=date.max)]
    sendable_s = time.perf_counter() - started
    print(f"billing: pyx12 validating {len(content) / 1e6:.1f} MB...", flush=True)
    started = time.perf_counter()
    check = pyx12_validate(content)
    validate_s = time.perf_counter() - started
    owners = _claim_of_line(content)
    bad = set()
    for error in check.errors:
        found = re.match(r"Line:(\d+)", error)
        bad.add(owners[int(found.group(1)) - 1] if found and int(found.group(1)) <= len(owners) else -1)
    return {
        "claims": CLAIMS,
        "claims_837_per_s": round(CLAIMS / generate_s, 1),
        "sendable_checks_per_s": round(CLAIMS / sendable_s, 1),
        "sendable_problems": len(problems),
        "pyx12_validate_s_10000": round(validate_s, 2),
        "claims_generated_valid_fraction": round(1 - len(bad) / CLAIMS, 6) if check.errors else 1.0,
        "pyx12_errors_sample": check.errors[:5],
        "file_mb": round(len(content) / 1e6, 2),
    }


# ---------------------------------------------------------------------------------------------
# 835 posting, in a child process on a fresh database
# ---------------------------------------------------------------------------------------------

def _submitted_claims(count: int) -> list[Any]:
    """Claims as create-claims and export-837 leave them: bulk rows, not one action each (setup only)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from chartdesk.accounts.roles import group_name
    from chartdesk.billing.models import Claim, Coverage, LedgerEntry, Payer
    from chartdesk.charts.models import Encounter
    from chartdesk.patients.actions import do_register_patient
    from chartdesk.patients.schemas import PatientRegistration

    User = get_user_model()
    user = User.objects.create_user("bench-billing", password=None)
    user.groups.add(Group.objects.get(name=group_name("billing")))
    registrar = User.objects.create_user("bench-registrar", password=None)
    registrar.groups.add(Group.objects.get(name=group_name("registrar")))
    registrar = User.objects.get(pk=registrar.pk)
    patient = do_register_patient(PatientRegistration(given_name="Maria", family_name="Garcia",
                                                      birth_date=date(1980, 3, 15), sex="F"), acting_user=registrar)
    payer = Payer.objects.create(name="Acme Health Plan", payer_id="ACME1", claim_filing_indicator="CI")
    coverage = Coverage.objects.create(patient=patient, payer=payer, rank="primary", member_id="M1",
                                       subscriber_given_name="Maria", subscriber_family_name="Garcia")
    now = timezone.now()
    encounters = Encounter.objects.bulk_create(
        Encounter(patient=patient, account_number=f"B{n:09d}", encounter_class="outpatient", status="finished",
                  admit_at=now) for n in range(count)
    )
    claims = Claim.objects.bulk_create(
        Claim(claim_number=f"BN{n:010d}", encounter=encounter, patient=patient, coverage=coverage, payer=payer,
              rank="primary", status="submitted", diagnoses=["I10"], place_of_service="11",
              total_charge=Decimal("152.00"), submitted_at=now)
        for n, encounter in enumerate(encounters)
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(patient=patient, claim=claim, kind="charge", party="insurance", amount=Decimal("152.00"))
        for claim in claims
    )
    return [User.objects.get(pk=user.pk), claims]


def _era(claims: list[Any]) -> bytes:
    body = [f"BPR*I*{Decimal('100.00') * len(claims)}*C*ACH*CCP*01*999999999*DA*1*1999999999**01*8*DA*6*20261120",
            "TRN*1*BENCHTRACE*1999999999", "DTM*405*20261120", "N1*PR*ACME HEALTH PLAN", "N1*PE*BENCH*XX*1234567893",
            "LX*1"]
    for claim in claims:
        body += [f"CLP*{claim.claim_number}*1*152.00*100.00*30.00*12*P{claim.pk}", "NM1*QC*1*GARCIA*MARIA****MI*M1",
                 "SVC*HC:99213*152.00*100.00", "DTM*472*20261101", "CAS*CO*45*22.00", "CAS*PR*2*30.00"]
    segments = ["ST*835*0001", *body]
    segments.append(f"SE*{len(segments) + 1}*0001")
    isa = "ISA*00*          *00*          *ZZ*ACME           *ZZ*BENCH          *261120*1200*^*00501*000000001*0*P*:"
    lines = [isa,
             "GS*HP*ACME*BENCH*20261120*1200*1*X*005010X221A1", *segments, "GE*1*1", "IEA*1*000000001"]
    return ("~\n".join(lines) + "~\n").encode()


def measure_posting(count: int) -> dict[str, Any]:
    import django

    django.setup()
    from chartdesk.billing.remittance import do_import_835

    user, claims = _submitted_claims(count)
    content = _era(claims)
    started = time.perf_counter()
    result = do_import_835(content, acting_user=user, file_name="bench.835")
    elapsed = time.perf_counter() - started
    assert result.claims_posted == count, result.unmatched[:5]
    return {"era_claims": count, "era_835_claims_posted_per_s": round(count / elapsed, 1)}


def posting() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-billing-") as folder:
        work = Path(folder)
        env = {**os.environ, "CHARTDESK_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
               "CHARTDESK_VAR_DIR": str(work), "DJANGO_SETTINGS_MODULE": "chartdesk.settings",
               "CHARTDESK_FAST_PASSWORD_HASHER": "1"}
        env.pop("CHARTDESK_MODE", None)
        subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env, cwd=REPO,
                       check=True)
        print(f"billing: posting an 835 of {ERA_CLAIMS:,} claims...", flush=True)
        done = subprocess.run([sys.executable, "-m", "bench.billing", "--post", str(ERA_CLAIMS)], env=env, cwd=REPO,
                              check=True, stdout=subprocess.PIPE, text=True)
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run() -> dict[str, Any]:
    from bench._billing_837i import measure as institutional

    result = generation_and_validation()
    result.update(institutional())
    result.update(posting())
    result["note"] = ("claims_837_per_s times the writer over in-memory claim snapshots; posting runs on SQLite "
                      "(synchronous=FULL) with ledger rows and audit events; pyx12 4.0.0. Speeds are lower bounds when "
                      "load_average_1m is above the 2 cores.")
    result["load_average_1m"] = round(os.getloadavg()[0], 1)
    return result


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--post":
        print(json.dumps(measure_posting(int(sys.argv[2]))), flush=True)
    else:
        print(json.dumps(run(), indent=2))
