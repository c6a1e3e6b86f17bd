"""Reading an 837I back with an independent, maintained parser: LinuxForHealth x12 (Apache-2.0), which
models 005010X223A3 in pydantic. It is written for pydantic 1, so it runs in a child process where
pydantic 2's bundled `pydantic.v1` stands in for `pydantic` (Chartdesk itself needs pydantic 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

_READ = r"""
import json, sys
import pydantic.v1
sys.modules["pydantic"] = pydantic.v1
from linuxforhealth.x12.io import X12ModelReader

claims = []
with X12ModelReader(sys.argv[1]) as reader:
    for model in reader.models():
        for provider in model.loop_2000a:
            for subscriber in provider.loop_2000b:
                holders = [subscriber] + list(subscriber.loop_2000c or [])
                for holder in holders:
                    for claim in holder.loop_2300 or []:
                        clm = claim.clm_segment
                        place = clm.health_care_service_location_information.split(":")
                        codes = [[part for part in code]
                                 for hi in claim.hi_segment or []
                                 for number in range(1, 13)
                                 if (code := getattr(hi, f"health_care_code_{number}")) is not None]
                        claims.append({
                            "claim_number": clm.patient_control_number,
                            "total": str(clm.total_claim_charge_amount),
                            # as read when the file's component separator is not the one its ISA declares
                            "bill_type": place[0] + place[2] if len(place) == 3 else place[0],
                            "hi": codes,
                            "statement": [[d.date_time_period_format_qualifier, d.date_time_period]
                                          for d in claim.dtp_segment or []],
                            "cl1": [claim.cl1_segment.admission_type_code, claim.cl1_segment.admission_source_code,
                                    claim.cl1_segment.patient_status_code] if claim.cl1_segment else None,
                            "attending": claim.loop_2310a.nm1_segment.identification_code
                            if claim.loop_2310a else None,
                            "lines": [[line.sv2_segment.service_line_revenue_code,
                                       line.sv2_segment.composite_medical_procedure_identifier,
                                       str(line.sv2_segment.line_item_charge_amount),
                                       line.sv2_segment.measurement_code,
                                       str(line.sv2_segment.service_unit_count)]
                                      for line in claim.loop_2400],
                        })
print(json.dumps(claims, default=str))
"""


def read_837i(path: Path) -> list[dict[str, Any]]:
    """The claims of an 837I file as the independent parser reads them; a file it cannot read fails."""
    result = subprocess.run([sys.executable, "-c", _READ, str(path)], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"LinuxForHealth x12 could not read {path.name}:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)
