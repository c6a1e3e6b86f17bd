"""Pricing a coded stay from the chargemaster (CDM), as of the service date.

Chartdesk has no order entry, so facility charges come from what coding records, through three kinds of
CDM line: a per-day accommodation rate for each day of an inpatient stay (the day of discharge is not
billed, as room and board counts midnights), a per-unit line for each coded HCPCS/CPT service, and a
per-procedure line for each coded ICD-10-PCS procedure (matched on the longest leading characters, so a
site can price "0" medical-surgical procedures and "0SR" hip replacements differently). A service the
chargemaster cannot price is refused by name: never billed at zero.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db.models import Q
from django.utils import timezone

from chartdesk.billing.models import ChargeBasis, ChargemasterItem
from chartdesk.charts.models import Encounter, EncounterClass
from chartdesk.coding.workflow.coded import CodedEncounter
from chartdesk.core.errors import ChartdeskError

NO_DAY_RATE = "The chargemaster has no per-day rate for an {klass} stay on {day:%m/%d/%Y}: add one."
NO_HCPCS = "The chargemaster has no line for {code} on {day:%m/%d/%Y}: add one (revenue code and price)."
NO_PCS = "The chargemaster has no line for ICD-10-PCS procedure {code} on {day:%m/%d/%Y}: add one for its prefix."
NOTHING_TO_BILL = "The coded encounter has nothing the facility bills (no stay days, services or procedures)."
REVENUE_CODE = re.compile(r"\d{4}")
CSV_COLUMNS = ("charge_code", "description", "revenue_code", "basis", "hcpcs", "pcs_prefix", "encounter_class",
               "unit_price", "effective_from", "effective_to")


@dataclass(frozen=True)
class FacilityCharge:
    item: ChargemasterItem
    units: Decimal
    service_date: date
    hcpcs: str
    modifiers: tuple[str, ...] = ()

    @property
    def amount(self) -> Decimal:
        return (self.item.unit_price * self.units).quantize(Decimal("0.01"))


def items_in_effect(on: date) -> list[ChargemasterItem]:
    return list(ChargemasterItem.objects.filter(effective_from__lte=on)
                .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on)))


def stay_days(encounter: Encounter) -> int:
    """Billable days of a stay: midnights between admission and discharge, at least one."""
    if encounter.discharge_at is None:
        return 1
    return max(1, (timezone.localtime(encounter.discharge_at).date() - timezone.localtime(encounter.admit_at).date())
               .days)


def facility_charges(encounter: Encounter, coded: CodedEncounter) -> list[FacilityCharge]:
    """What the facility bills for the coded encounter, priced as of each service's date."""
    admitted = timezone.localtime(encounter.admit_at).date()
    found: list[FacilityCharge] = []
    in_effect = items_in_effect(admitted)
    if encounter.encounter_class == EncounterClass.INPATIENT:
        day_rates = [i for i in in_effect if i.basis == ChargeBasis.PER_DAY
                     and i.encounter_class in ("", encounter.encounter_class)]
        if not day_rates:
            raise ChartdeskError(NO_DAY_RATE.format(klass=encounter.get_encounter_class_display().lower(),
                                                    day=admitted))
        rate = max(day_rates, key=lambda i: bool(i.encounter_class))  # a class-specific rate wins
        found.append(FacilityCharge(rate, Decimal(stay_days(encounter)), admitted, ""))
    for line in coded.procedures:
        items = in_effect if line.performed_on == admitted else items_in_effect(line.performed_on)
        if line.system in ("cpt", "hcpcs"):
            match = [i for i in items if i.basis == ChargeBasis.PER_HCPCS_UNIT and i.hcpcs == line.code]
            if not match:
                raise ChartdeskError(NO_HCPCS.format(code=line.code, day=line.performed_on))
            found.append(FacilityCharge(match[0], Decimal(line.units), line.performed_on, line.code,
                                        tuple(line.modifiers)))
        elif line.system == "icd10pcs":
            prefixed = [i for i in items if i.basis == ChargeBasis.PER_PROCEDURE and i.pcs_prefix
                        and line.code.startswith(i.pcs_prefix)]
            if not prefixed:
                raise ChartdeskError(NO_PCS.format(code=line.code, day=line.performed_on))
            best = max(prefixed, key=lambda i: len(i.pcs_prefix))
            found.append(FacilityCharge(best, Decimal("1"), line.performed_on, ""))
    if not found:
        raise ChartdeskError(NOTHING_TO_BILL)
    return found


@dataclass(frozen=True)
class ChargemasterRow:
    line: int
    values: dict[str, object]


def _date(text: str, line: int, column: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ChartdeskError(f"Line {line}: {column} {text!r} is not a date (YYYY-MM-DD).") from None


def parse_chargemaster(text: str) -> list[ChargemasterRow]:
    """The rows of a chargemaster CSV (header row with CSV_COLUMNS), each checked; the first bad line is
    refused with its number and nothing is loaded."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ChartdeskError(f"The header row lacks {', '.join(missing)} (columns: {', '.join(CSV_COLUMNS)}).")
    rows: list[ChargemasterRow] = []
    for number, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        if not row["charge_code"] or not row["description"]:
            raise ChartdeskError(f"Line {number}: charge_code and description are required.")
        if not REVENUE_CODE.fullmatch(row["revenue_code"]):
            raise ChartdeskError(f"Line {number}: revenue code {row['revenue_code']!r} must be four digits.")
        if row["basis"] not in ChargeBasis.values:
            raise ChartdeskError(f"Line {number}: basis {row['basis']!r} must be one of "
                                 f"{', '.join(ChargeBasis.values)}.")
        if row["basis"] == ChargeBasis.PER_HCPCS_UNIT and not re.fullmatch(r"[A-Z0-9]{5}", row["hcpcs"]):
            raise ChartdeskError(f"Line {number}: a per-unit line needs its five-character HCPCS/CPT code.")
        if row["basis"] == ChargeBasis.PER_PROCEDURE and not re.fullmatch(r"[0-9A-HJ-NP-Z]{1,7}", row["pcs_prefix"]):
            raise ChartdeskError(f"Line {number}: a per-procedure line needs the leading ICD-10-PCS characters.")
        if row["encounter_class"] and row["encounter_class"] not in EncounterClass.values:
            raise ChartdeskError(f"Line {number}: encounter class {row['encounter_class']!r} is not known.")
        try:
            price = Decimal(row["unit_price"])
        except InvalidOperation:
            raise ChartdeskError(f"Line {number}: unit price {row['unit_price']!r} is not an amount.") from None
        if price < 0 or price.as_tuple().exponent < -2:  # type: ignore[operator]
            raise ChartdeskError(f"Line {number}: unit price {row['unit_price']!r} must be 0 or more, in cents.")
        starts = _date(row["effective_from"], number, "effective_from")
        ends = _date(row["effective_to"], number, "effective_to") if row["effective_to"] else None
        if ends is not None and ends < starts:
            raise ChartdeskError(f"Line {number}: effective_to is before effective_from.")
        rows.append(ChargemasterRow(number, {
            "charge_code": row["charge_code"][:20], "description": row["description"][:100],
            "revenue_code": row["revenue_code"], "basis": row["basis"], "hcpcs": row["hcpcs"],
            "pcs_prefix": row["pcs_prefix"], "encounter_class": row["encounter_class"], "unit_price": price,
            "effective_from": starts, "effective_to": ends,
        }))
    if not rows:
        raise ChartdeskError("The file has a header but no chargemaster lines.")
    return rows
