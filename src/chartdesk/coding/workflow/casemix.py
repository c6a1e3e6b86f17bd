"""Case-mix index and DRG shifts, from the DRG history of coded inpatient stays (read-only).

Case-mix index (CMI) is the mean relative weight of the final MS-DRGs of the stays discharged in
the period, by discharge month, by service and by attending. The *final* DRG is the case's last
grouping while it is coded (after review if it was reviewed); the *working* DRG is the one the
coder completed with. A shift is a stay whose final DRG differs from its working DRG.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from chartdesk.coding.workflow.models import CaseStatus, DrgGrouping


@dataclass(frozen=True)
class CaseMixLine:
    label: str
    cases: int
    total_weight: Decimal
    nearest_weights: int  # cases weighed with another fiscal year's Table 5

    @property
    def cmi(self) -> Decimal:
        return (self.total_weight / self.cases).quantize(Decimal("0.0001")) if self.cases else Decimal(0)


@dataclass(frozen=True)
class DrgShift:
    encounter: Any
    working: DrgGrouping
    final: DrgGrouping

    @property
    def weight_change(self) -> Decimal:
        return (self.final.weight or Decimal(0)) - (self.working.weight or Decimal(0))


@dataclass(frozen=True)
class CaseMixReport:
    overall: CaseMixLine
    by_month: list[CaseMixLine]
    by_service: list[CaseMixLine]
    by_attending: list[CaseMixLine]
    shifts: list[DrgShift]
    compared: int  # stays with both a working and a final DRG


def _lines(groups: dict[str, list[DrgGrouping]]) -> list[CaseMixLine]:
    return [
        CaseMixLine(label, len(rows), sum((row.weight or Decimal(0) for row in rows), Decimal(0)),
                    sum(1 for row in rows if "nearest" in row.weight_table))
        for label, rows in sorted(groups.items())
    ]


def case_mix(since: datetime.datetime, until: datetime.datetime) -> CaseMixReport:
    """Coded inpatient stays discharged in [since, until): CMI by month, service, attending; shifts."""
    rows = (DrgGrouping.objects
            .filter(case__status=CaseStatus.CODED, case__encounter__discharge_at__gte=since,
                    case__encounter__discharge_at__lt=until)
            .select_related("case__encounter")
            .prefetch_related("case__encounter__care_team__provider")
            .order_by("case_id", "pk"))
    final: dict[int, DrgGrouping] = {}
    working: dict[int, DrgGrouping] = {}
    for row in rows:
        final[row.case_id] = row
        if row.stage == DrgGrouping.Stage.CODED and row.case_id not in working:
            working[row.case_id] = row
    by_month: dict[str, list[DrgGrouping]] = defaultdict(list)
    by_service: dict[str, list[DrgGrouping]] = defaultdict(list)
    by_attending: dict[str, list[DrgGrouping]] = defaultdict(list)
    for row in final.values():
        encounter = row.case.encounter
        by_month[timezone.localtime(encounter.discharge_at).strftime("%Y-%m")].append(row)
        by_service[encounter.service or "(no service)"].append(row)
        attending = encounter.attending
        by_attending[str(attending) if attending else "(no attending)"].append(row)
    shifts = [DrgShift(final[case_id].case.encounter, working[case_id], final[case_id])
              for case_id in working if working[case_id].drg != final[case_id].drg]
    (overall,) = _lines({"All coded inpatient stays": list(final.values())}) if final else (
        CaseMixLine("All coded inpatient stays", 0, Decimal(0), 0),)
    return CaseMixReport(overall, _lines(by_month), _lines(by_service), _lines(by_attending), shifts, len(working))
