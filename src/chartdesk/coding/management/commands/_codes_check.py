"""`chartdesk codes check`: the validator on the command line (see coding.edits.validator)."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chartdesk.coding.edits.validator import EncounterCodes, validate


def run_check(command: BaseCommand, options: dict[str, Any]) -> None:
    try:
        service_date = datetime.date.fromisoformat(options["date"]) if options["date"] else datetime.date.today()
    except ValueError:
        raise CommandError(f"--date '{options['date']}' is not a date (YYYY-MM-DD)") from None
    if options["age"] is not None and not 0 <= options["age"] <= 124:
        raise CommandError(f"--age must be between 0 and 124, not {options['age']}")
    poa = [mark.strip() for mark in options["poa"].split(",")] if options["poa"] else []
    if len(poa) > len(options["codes"]):
        raise CommandError(f"--poa has {len(poa)} indicators for {len(options['codes'])} codes")
    encounter = EncounterCodes.of(
        options["codes"], service_date=service_date, inpatient=options["inpatient"], sex=options["sex"] or "",
        age=options["age"], poa=poa, texts=options["text"],
    )
    report = validate(encounter)
    if options["json"]:
        command.stdout.write(json.dumps(report.as_json()))
        return
    command.stdout.write(f"{report.release_label or 'no code set'}: "
                         f"{'no errors' if report.clean else 'errors found'}")
    for finding in report.findings:
        command.stdout.write(f"  {finding.severity:8} {finding.edit:32} {finding.message}")
