"""The demo's billing history: its oldest coded visits already claimed, sent and remitted, so that A/R
aging, the patient ledger, statements and the denial queue have something to show on a fresh demo.

Everything goes through the desk's actions, each at its moment of the story (core.demo.story): charges
from the codes (from_coding) and claims in the twice-weekly claims run after coding, an 837P batch per
run, and an 835 per payer posted by `do_import_835` two to six weeks later, as if each payer had
answered the batch; runs whose answer is not due yet stay in A/R. The
835 is written here from the claims themselves: most are paid at 80% of the charge less a 20%
coinsurance (CO-45 and PR-2), and the last one is denied as not medically necessary (CO-50).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from chartdesk.billing.actions import do_create_claim
from chartdesk.billing.export import do_export_837, x12_text
from chartdesk.billing.from_coding import charge_coded_encounter
from chartdesk.billing.models import BillingOrganisation, Claim, ClaimStatus, Payer
from chartdesk.billing.remittance import do_import_835
from chartdesk.billing.x12.writer837 import clean
from chartdesk.charts.models import Encounter
from chartdesk.core import clock
from chartdesk.core.demo.story import step, working_moment

CENT = Decimal("0.01")
ALLOWED_SHARE = Decimal("0.80")
COINSURANCE_SHARE = Decimal("0.20")
CLAIMS_RUN_DAYS = (1, 4)  # Tuesday, Friday
PAYER_DAYS = (14, 42)  # a clean electronic claim is paid in two to six weeks


def bill_and_remit(coded: list[tuple[Encounter, datetime]], *, acting_user: Any, rng: random.Random,
                   latest: datetime) -> list[Claim]:
    """Charge, claim and send the coded visits in weekly claims runs after their coding, and post each
    payer's 835 two to six weeks after a run, when that day has come; `coded` pairs each visit with
    when it was coded, oldest first. Returns the claims sent."""
    runs: dict[datetime, list[Encounter]] = defaultdict(list)
    for encounter, coded_at in coded:
        runs[_claims_run(rng, coded_at)].append(encounter)
    sent: list[tuple[datetime, list[Claim]]] = []
    for run_at, encounters in sorted(runs.items()):
        if run_at > latest:
            continue  # this week's run has not happened yet: create-claims has them
        with step(run_at):
            claims = _claim(encounters, acting_user)
            if claims:
                do_export_837(acting_user=acting_user, claims=claims)
                sent.append((run_at, claims))
    if not sent:
        return []
    organisation = BillingOrganisation.objects.order_by("id").get()
    denied = sent[0][1][-1]  # one denial, on the oldest run, for the denial queue
    control = 0
    for run_at, claims in sent:
        by_payer: dict[int, list[Claim]] = defaultdict(list)
        for claim in claims:
            by_payer[claim.payer_id].append(claim)
        for payer_pk, answered in sorted(by_payer.items()):
            paid_at = working_moment(rng, run_at + timedelta(days=rng.randint(*PAYER_DAYS)))
            if paid_at > latest:
                continue  # still waiting for the payer: it ages in A/R
            control += 1
            payer = Payer.objects.get(pk=payer_pk)
            with step(paid_at):
                content = demo_835(payer, organisation, answered, denied=denied, control=control)
                do_import_835(content, acting_user=acting_user, file_name=f"demo-{payer.payer_id}-{control}.835")
    return [claim for _, claims in sent for claim in claims]


def _claims_run(rng: random.Random, coded_at: datetime) -> datetime:
    """The billing office sends claims on Tuesdays and Fridays: the first run a day or more after coding."""
    day = timezone.localtime(coded_at) + timedelta(days=1)
    while day.weekday() not in CLAIMS_RUN_DAYS:
        day += timedelta(days=1)
    return day.replace(hour=15, minute=rng.randint(0, 45), second=0, microsecond=0)


def _claim(encounters: list[Encounter], acting_user: Any) -> list[Claim]:
    claims = []
    for encounter in encounters:
        if charge_coded_encounter(encounter, acting_user=acting_user):
            continue  # cannot be charged: it stays in create-claims' run, which says why
        claim = do_create_claim(encounter, acting_user=acting_user)
        if claim.status == ClaimStatus.READY:
            claims.append(claim)
    return claims


def _clp(claim: Claim, denied: bool) -> tuple[list[str], Decimal]:
    """The CLP loop of one claim and the amount paid on it."""
    charge = claim.total_charge
    if denied:
        return [f"CLP*{claim.claim_number}*4*{charge}*0.00**12*DEMO{claim.pk:08d}", f"CAS*CO*50*{charge}"], Decimal(0)
    allowed = (charge * ALLOWED_SHARE).quantize(CENT)
    coinsurance = (allowed * COINSURANCE_SHARE).quantize(CENT)
    paid = allowed - coinsurance
    return [
        f"CLP*{claim.claim_number}*1*{charge}*{paid}*{coinsurance}*12*DEMO{claim.pk:08d}",
        f"CAS*CO*45*{charge - allowed}",
        f"CAS*PR*2*{coinsurance}",
    ], paid


def demo_835(payer: Payer, organisation: BillingOrganisation, claims: list[Claim], *, denied: Claim,
             control: int) -> bytes:
    """An 835 from `payer` answering `claims`: paid, or denied for the one claim `denied`."""
    today = clock.localdate()
    day, short_day = today.strftime("%Y%m%d"), today.strftime("%y%m%d")
    loops, total = [], Decimal(0)
    for claim in claims:
        segments, paid = _clp(claim, claim.pk == denied.pk)
        patient = claim.patient
        segments.append(f"NM1*QC*1*{clean(x12_text(patient.family_name))}*{clean(x12_text(patient.given_name))}"
                        f"****MI*{clean(claim.coverage.member_id)}")
        loops += segments
        total += paid
    payer_id = f"1{clean(payer.payer_id)}"
    body = [
        f"BPR*I*{total}*C*ACH*CCP*01*999999999*DA*123456*{payer_id}**01*888888888*DA*654321*{day}",
        f"TRN*1*DEMO{payer.payer_id}{today:%Y%m%d}*{payer_id}",
        f"DTM*405*{day}",
        f"N1*PR*{clean(x12_text(payer.name))}",
        f"N1*PE*{clean(x12_text(organisation.name))}*XX*{organisation.npi}",
        "LX*1",
        *loops,
    ]
    segments = ["ST*835*0001", *body]
    segments.append(f"SE*{len(segments) + 1}*0001")
    sender, receiver = payer.payer_id.ljust(15), organisation.submitter_id.ljust(15)
    lines = [
        f"ISA*00*          *00*          *ZZ*{sender}*ZZ*{receiver}*{short_day}*1200*^*00501*{control:09d}*0*P*:",
        f"GS*HP*{payer.payer_id}*{organisation.submitter_id}*{day}*1200*{control}*X*005010X221A1",
        *segments,
        f"GE*1*{control}",
        f"IEA*1*{control:09d}",
    ]
    return ("~\n".join(lines) + "~\n").encode("ascii", "replace")
