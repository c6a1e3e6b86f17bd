"""`chartdesk demo-data`: synthetic patients, stays, documents and one log-in per role (demo mode only)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from chartdesk.cli import invocation

MAX_PATIENTS = 100_000


class Command(BaseCommand):
    help = (
        "Fill an empty demo database with synthetic patients (with planted duplicates and restricted charts), "
        "encounters, clinical documents, providers and one user per role. Refused outside demo mode."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=200, help="how many patient records (default 200)")
        parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same data (default 1)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing, successfully, when the database already has patients"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.MODE != "demo":
            raise CommandError(
                "demo-data runs only in demo mode (CHARTDESK_MODE=demo): it creates users whose passwords are "
                "printed for anyone to read."
            )
        count = options["patients"]
        if not 1 <= count <= MAX_PATIENTS:
            raise CommandError(f"--patients must be between 1 and {MAX_PATIENTS:,}, not {count}.")

        from django.contrib.auth import get_user_model

        from chartdesk.core.registry import demo_census

        existing = demo_census().get("patients", 0)
        if existing and options["if_empty"]:
            self.stdout.write(f"The database already holds {existing} patients; no demo data added.")
            return
        if existing or get_user_model().objects.exists():
            raise CommandError(
                "Demo data goes only into an empty database, and this one already holds users or patients. "
                "Use --if-empty to skip quietly, or start from a new database."
            )

        from chartdesk.core.demo.load import load_demo
        from chartdesk.core.demo.plan import plan_demo

        started = time.monotonic()
        plan = plan_demo(
            patients=count, seed=options["seed"], today=timezone.localdate(), zone=timezone.get_current_timezone()
        )
        result = load_demo(plan)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Loaded {result.patients} patients, {result.encounters} encounters and {result.documents} documents "
            f"({result.signed} signed, {result.corrected} corrected, {result.addenda} with addenda, "
            f"{result.retracted} entered in error) in {elapsed:.1f}s."
        )
        command = invocation()
        if result.coded_for_billing:
            self.stdout.write(f"{result.coded_for_billing} recent visits are coded and ready to bill: "
                              f"`{command} billing create-claims`, then `{command} billing export-837 --out FILE`.")
        else:
            self.stdout.write(f"No visit was coded for billing: load ICD-10-CM first (`{command} codes load icd10cm`) "
                              "to get coded visits ready to bill.")
        for note in result.notes:
            self.stdout.write(note)
        for kind, original, duplicate in result.duplicates:
            self.stdout.write(
                f"  planted duplicate ({kind.replace('_', ' ')}): MRN {duplicate} is the same person as MRN {original}"
            )
        for mrn, restriction in result.restricted:
            self.stdout.write(f"  restricted chart ({restriction}): MRN {mrn}")
        self.stdout.write(f"Run `{command} demo-logins` to see how to log in.")
