"""Small 835 files built for the tests (each test's own fixture, no real remittance data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Paid:
    claim_number: str
    charge: Decimal
    paid: Decimal
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)
    status: str = "1"
    services: list[tuple[str, Decimal, Decimal, list[tuple[str, str, Decimal]]]] = field(default_factory=list)
    remarks: dict[str, list[str]] = field(default_factory=dict)  # LQ*HE remark codes by service code


def remit_835(claims: list[Paid], *, trace: str = "TRACE001", payer_id: str = "1999999999",
              payer_name: str = "ACME HEALTH PLAN", control: int = 101) -> bytes:
    total = sum((c.paid for c in claims), Decimal("0"))
    body = [
        f"BPR*I*{total}*C*ACH*CCP*01*999999999*DA*123456*{payer_id}**01*888888888*DA*654321*20261120",
        f"TRN*1*{trace}*{payer_id}",
        "DTM*405*20261120",
        f"N1*PR*{payer_name}",
        "N1*PE*PRAIRIE FAMILY MEDICINE*XX*1234567893",
        "LX*1",
    ]
    for claim in claims:
        every = claim.adjustments + [a for service in claim.services for a in service[3]]
        patient_share = sum((a[2] for a in every if a[0] == "PR"), Decimal("0"))
        body.append(f"CLP*{claim.claim_number}*{claim.status}*{claim.charge}*{claim.paid}*{patient_share}*12*PCN"
                    f"{claim.claim_number}")
        for group, reason, amount in claim.adjustments:
            body.append(f"CAS*{group}*{reason}*{amount}")
        body.append("NM1*QC*1*GARCIA*MARIA****MI*XJ123456789")
        for code, charge, paid, adjustments in claim.services:
            procedure = code if code.startswith("NU:") else f"HC:{code}"  # NU: a hospital's revenue code
            body += [f"SVC*{procedure}*{charge}*{paid}", "DTM*472*20261117"]
            body += [f"CAS*{group}*{reason}*{amount}" for group, reason, amount in adjustments]
            body += [f"LQ*HE*{remark}" for remark in claim.remarks.get(code, [])]
    segments = ["ST*835*0001", *body]
    segments.append(f"SE*{len(segments) + 1}*0001")
    isa = (f"ISA*00*          *00*          *ZZ*ACMEHEALTH     *ZZ*PFM0001        *261120*1200*^*00501*"
           f"{control:09d}*0*P*:")
    lines = [isa, f"GS*HP*ACMEHEALTH*PFM0001*20261120*1200*{control}*X*005010X221A1", *segments,
             f"GE*1*{control}", f"IEA*1*{control:09d}"]
    return ("~\n".join(lines) + "~\n").encode()
