"""The demo's staff: one log-in per role, and the plan's clinicians (a stage of `chartdesk demo-data`)."""

from __future__ import annotations

from typing import Any

from chartdesk.accounts.actions import NewProvider, do_create_user
from chartdesk.accounts.roles import ROLES, SANDBOX_ONLY_ROLES, role_label
from chartdesk.core.demo.load import DemoResult, DemoRun
from chartdesk.core.demo.plan import DemoPlan


def load_staff_demo(run: DemoRun) -> None:
    run.staff = _create_role_users(run.plan, run.password, run.result)
    run.providers = _create_providers(run.plan, run.staff, run.result)
    run.coders = [run.staff["coder"], *_create_more_coders(run.staff, run.result)]


def _create_role_users(plan: DemoPlan, password: str, result: DemoResult) -> dict[str, Any]:
    """One user per role, named by the role's slug; the `provider` user is the plan's first clinician."""
    staff: dict[str, Any] = {}
    # The administrator comes first: it creates everyone else, as it would on a real site.
    ordered = sorted((role for role in ROLES if role.slug not in SANDBOX_ONLY_ROLES),
                     key=lambda role: role.slug != "administrator")
    for role in ordered:
        full_name, provider = f"Demo {role_label(role.slug)}", None
        if role.slug == "provider":
            clinician = plan.providers[0]
            full_name = f"{clinician.given_name} {clinician.family_name}"
            provider = NewProvider(clinician.npi, clinician.credentials, clinician.specialty)
        staff[role.slug] = do_create_user(
            role.slug,
            role=role.slug,
            password=password,
            acting_user=staff.get("administrator"),
            full_name=full_name,
            email=f"{role.slug}@example.org",
            provider=provider,
        )
        result.users.append(role.slug)
    return staff


def _create_providers(plan: DemoPlan, staff: dict[str, Any], result: DemoResult) -> list[tuple[Any, Any]]:
    """The clinicians and their log-ins (each signs their own notes); the first is the demo `provider`."""
    first = staff["provider"]
    providers = [(first.provider, first)]
    for planned in plan.providers[1:]:
        # No usable password: these accounts exist so each clinician signs their own notes, and
        # only the role users are for logging in (hashing a password costs half a second each).
        user = do_create_user(
            planned.username,
            role="provider",
            password=None,
            acting_user=staff["administrator"],
            full_name=f"{planned.given_name} {planned.family_name}",
            provider=NewProvider(planned.npi, planned.credentials, planned.specialty),
        )
        result.users.append(planned.username)
        providers.append((user.provider, user))
    return providers


# A coding department of three, so coder productivity compares people; like the clinicians, they have
# no usable password (the demo `coder` is the one to log in as).
MORE_CODERS = (("coder.okafor", "Adaeze Okafor"), ("coder.lindqvist", "Mats Lindqvist"))


def _create_more_coders(staff: dict[str, Any], result: DemoResult) -> list[Any]:
    coders = []
    for username, full_name in MORE_CODERS:
        coders.append(do_create_user(username, role="coder", password=None, acting_user=staff["administrator"],
                                     full_name=full_name))
        result.users.append(username)
    return coders
