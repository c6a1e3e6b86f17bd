"""MS-DRG grouping benchmark: grouped cases per second, and agreement with a second grouper.

Cases are synthetic and seeded: a principal diagnosis drawn from the billable ICD-10-CM codes that
simple-icd-10-cm lists, 0 to 8 secondary diagnoses (half of them from the codes the CC/MCC list
rates, so the CC/MCC split is exercised), 0 to 3 ICD-10-PCS codes from the procedures the MS-DRG
definitions name (drgpy's table of them), POA Y or N, age 18 to 95, sex, and discharge status 01
or 20, discharged 2026-05-04 (MS-DRG v43.1, which both groupers carry).

- `drg_cases_per_s`: cases through `chartdesk.coding.drg.grouper.group` (the path the coding
  screen and `chartdesk drg group` take: checks, native grouper, roles, Table 5 weights), after one
  warm-up pass; `drg_cases_per_cpu_s` the same in the thread's CPU time, which a busy shared
  machine does not inflate.
- `drg_peer_agreement`: share of the same cases to which drgpy 0.2.1 (v43.1) gives the same
  MS-DRG; `drg_peer_cases_per_s` its speed. Disagreements are not scored for who is right here:
  the known-answer cases in tests/coding/drg/ are (both groupers pass those). Random combinations
  are far from real stays; most disagreements are principal diagnoses CMS does not accept as
  principal (msdrg answers DX_CANNOT_BE_PDX, ungroupable, as the CMS grouper does; drgpy groups
  them anyway) and secondary CCs drgpy does not apply (see docs/coding.md).

`python -m bench._coding_drg` runs it alone.
"""

from __future__ import annotations

import datetime
import json
import random
import time
from typing import Any

CASES = 5000
SEED = 20261207
DISCHARGE = datetime.date(2026, 5, 4)


def make_cases(count: int) -> list[dict[str, Any]]:
    import simple_icd_10_cm
    from drgpy._runtime_data import load_runtime_data

    from chartdesk.coding.drg.grouper import ICD10CM_SHAPE, ICD10PCS_SHAPE

    tables = load_runtime_data("v43.1")
    billable = sorted(code for code in simple_icd_10_cm.get_all_codes(False) if simple_icd_10_cm.is_leaf(code))
    # drgpy's tables also hold keys that are not codes (its own labels): keep codes only.
    rated = sorted(code for code in tables.ccmap if ICD10CM_SHAPE.match(code))
    procedures = sorted(code for code in tables.prmap if ICD10PCS_SHAPE.match(code))
    chooser = random.Random(SEED)
    cases = []
    for number in range(count):
        secondary = [chooser.choice(rated if chooser.random() < 0.5 else billable)
                     for _ in range(chooser.randint(0, 8))]
        dx = list(dict.fromkeys([chooser.choice(billable), *secondary]))
        cases.append({
            "id": number, "dx": dx, "poa": [chooser.choice("YYYN") for _ in dx],
            "pcs": list(dict.fromkeys(chooser.choice(procedures) for _ in range(chooser.choice((0, 0, 1, 2, 3))))),
            "age": chooser.randint(18, 95), "sex": chooser.choice("MF"),
            "discharge_status": chooser.choice(("01", "01", "01", "20")),
        })
    return cases


def abstract_of(case: dict[str, Any]) -> Any:
    from chartdesk.coding.drg.grouper import AbstractDiagnosis, AbstractProcedure, InpatientAbstract

    return InpatientAbstract(
        tuple(AbstractDiagnosis(code, poa) for code, poa in zip(case["dx"], case["poa"], strict=True)),
        tuple(AbstractProcedure(code) for code in case["pcs"]), case["age"], case["sex"],
        case["discharge_status"], DISCHARGE)


def run() -> dict[str, Any]:
    from drgpy.msdrg import DRGEngine

    from chartdesk.coding.drg.grouper import group

    cases = make_cases(CASES)
    abstracts = [abstract_of(case) for case in cases]
    for abstract in abstracts[:500]:
        group(abstract)
    started, started_cpu = time.perf_counter(), time.thread_time()
    ours = [group(abstract).drg for abstract in abstracts]
    elapsed, elapsed_cpu = time.perf_counter() - started, time.thread_time() - started_cpu

    peer = DRGEngine(version="v43.1")
    started, started_cpu = time.perf_counter(), time.thread_time()
    theirs = [str(peer.get_drg(case["dx"], case["pcs"], gender=case["sex"],
                               is_alive=case["discharge_status"] != "20", poa=case["poa"],
                               discharge_status=case["discharge_status"])).zfill(3)
              for case in cases]
    peer_elapsed, peer_elapsed_cpu = time.perf_counter() - started, time.thread_time() - started_cpu
    agreed = sum(1 for mine, other in zip(ours, theirs, strict=True) if mine == other)
    return {
        "drg_eval_cases": len(cases),
        "drg_cases_per_s": round(len(cases) / elapsed, 1),
        "drg_cases_per_cpu_s": round(len(cases) / elapsed_cpu, 1),
        "drg_peer_cases_per_s": round(len(cases) / peer_elapsed, 1),
        "drg_peer_cases_per_cpu_s": round(len(cases) / peer_elapsed_cpu, 1),
        "drg_peer_agreement": round(agreed / len(cases), 4),
    }


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chartdesk.settings")
    django.setup()
    print(json.dumps(run(), indent=2))
