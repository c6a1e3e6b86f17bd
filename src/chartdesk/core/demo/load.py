"""Loading a demo plan through the real actions, exactly as the desk would write it.

Each app loads its own part (its `demo.py`, registered from its AppConfig.ready as a stage of
core.registry), so core imports no app. Everything goes through the apps' actions (registration,
encounters, notes, signatures, corrections, retraction), so the demo database has the same audit
trail and invariants as a real one. The whole
load is one transaction: with synchronous=FULL every commit waits for the disk, and a half-loaded
demo is worth less than none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from chartdesk.core.context import acting_as
from chartdesk.core.demo.plan import DemoPlan
from chartdesk.core.registry import demo_builders

DEMO_PASSWORD = "chartdesk-demo"  # printed by `chartdesk demo-logins`; demo mode only


@dataclass
class DemoResult:
    patients: int = 0
    encounters: int = 0
    documents: int = 0
    signed: int = 0
    corrected: int = 0
    addenda: int = 0
    retracted: int = 0
    coded_for_billing: int = 0  # recent visits coded through the coding workflow, ready to bill
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, original MRN, duplicate MRN)
    restricted: list[tuple[str, str]] = field(default_factory=list)  # (MRN, restriction)
    users: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a stage wants the person loading the demo to know


@dataclass
class DemoRun:
    """What the stages of one demo load share: each app's builder reads what earlier stages made."""

    plan: DemoPlan
    password: str
    result: DemoResult
    staff: dict[str, Any] = field(default_factory=dict)  # role slug -> user
    providers: list[tuple[Any, Any]] = field(default_factory=list)  # (provider record, its user)
    patients: dict[int, Any] = field(default_factory=dict)  # plan key -> registered patient
    coding_queue: list[Any] = field(default_factory=list)  # encounters the coding demo left in the queue
    coders: list[Any] = field(default_factory=list)  # the department's coders: the demo `coder` first


def load_demo(plan: DemoPlan, *, password: str = DEMO_PASSWORD) -> DemoResult:
    """Create the demo users, providers, patients, encounters and documents of `plan`, then each
    work app's own records: every installed app registers its stage (core.registry)."""
    run = DemoRun(plan, password, DemoResult())
    with transaction.atomic(), acting_as(channel="cli"):
        for build in demo_builders():
            build(run)
        for person in plan.patients:
            if person.duplicate_of is not None:
                run.result.duplicates.append(
                    (person.duplicate_kind, run.patients[person.duplicate_of].mrn, run.patients[person.key].mrn)
                )
    return run.result
