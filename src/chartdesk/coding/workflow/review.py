"""Second-level review: what the reviewer changed, compared code by code with what the coder left.

When review starts the case's code lines are kept as the baseline; when it ends the final lines
are compared with it, line by line: a line whose code, POA, principal place, modifiers, units, date
or provider differ is "changed", a line the reviewer took off is "removed", a new one "added". Each
of the coder's lines therefore counts at most once, which is what accuracy needs.
"""

from __future__ import annotations

from typing import Any

from chartdesk.coding.models import CodeSystem
from chartdesk.coding.workflow.codes import dotted
from chartdesk.coding.workflow.models import CodingCase, ReviewChange


def snapshot(case: CodingCase) -> dict[str, list[dict[str, Any]]]:
    return {
        "diagnoses": [
            {"id": row.pk, "code": row.code, "poa": row.poa, "position": row.position}
            for row in case.diagnoses.order_by("position")
        ],
        "procedures": [
            {
                "id": row.pk, "system": row.system, "code": row.code, "modifiers": list(row.modifiers),
                "units": row.units,
                "performed_on": row.performed_on.isoformat(), "provider_id": row.provider_id,
            }
            for row in case.procedures.order_by("position")
        ],
    }


def describe_diagnosis(row: dict[str, Any]) -> str:
    text = dotted(CodeSystem.ICD10CM, row["code"])
    if row.get("poa"):
        text += f" POA {row['poa']}"
    return text + (" (principal/first-listed)" if row["position"] == 1 else "")


def describe_procedure(row: dict[str, Any]) -> str:
    code = row["code"] + "".join(f"-{modifier}" for modifier in row.get("modifiers", []))
    units = f" x{row['units']}" if row["system"] != "icd10pcs" else ""
    return f"{code}{units} on {row['performed_on']}"


def _diagnosis_same(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return (before["code"], before["poa"], before["position"] == 1) == (after["code"], after["poa"],
                                                                         after["position"] == 1)


def _procedure_same(before: dict[str, Any], after: dict[str, Any]) -> bool:
    fields = ("system", "code", "modifiers", "units", "performed_on", "provider_id")
    return all(before[field] == after[field] for field in fields)


def differences(
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    same: Any,
    describe: Any,
) -> list[tuple[str, str, str]]:
    """(kind, before, after) for every difference between two code lists, line by line.

    Lines are matched by their row id: a code changed in place is the same line ("changed"), a line
    taken off is "removed", a new line "added".
    """
    found: list[tuple[str, str, str]] = []
    after_by_id = {row["id"]: row for row in after}
    before_ids = {row["id"] for row in before}
    for row in before:
        match = after_by_id.get(row["id"])
        if match is None:
            found.append((ReviewChange.Kind.REMOVED, describe(row), ""))
        elif not same(row, match):
            found.append((ReviewChange.Kind.CHANGED, describe(row), describe(match)))
    for row in after:
        if row["id"] not in before_ids:
            found.append((ReviewChange.Kind.ADDED, "", describe(row)))
    return found


def record_review_changes(case: CodingCase, *, reviewer: Any) -> list[ReviewChange]:
    coder = case.coded_by
    assert coder is not None, "only a coded case is reviewed"
    baseline = case.review_baseline or {"diagnoses": [], "procedures": []}
    final = snapshot(case)
    rows: list[ReviewChange] = []
    for system, kind, before, after in (
        [(CodeSystem.ICD10CM, *change) for change in differences(
            baseline["diagnoses"], final["diagnoses"], _diagnosis_same, describe_diagnosis)]
        + [("procedure", *change) for change in differences(
            baseline["procedures"], final["procedures"], _procedure_same, describe_procedure)]
    ):
        rows.append(ReviewChange.objects.create(
            case=case, coder=coder, reviewer=reviewer, kind=kind, system=system, before=before, after=after,
        ))
    return rows
