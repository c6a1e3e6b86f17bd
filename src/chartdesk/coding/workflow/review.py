"""Second-level review: what the reviewer changed, compared code by code with what the coder left.

When review starts the case's codes are kept as the baseline; when it ends the final codes are
compared with it. A code in both lists whose POA, sequence (principal or not), modifiers, units or
date differ is "changed"; codes only in one list are paired in order as "changed" (one code replaced
by another), and what is left over is "removed" (coder's only) or "added" (reviewer's only). Each
code of the coder's therefore counts at most once, which is what accuracy needs.
"""

from __future__ import annotations

from typing import Any

from chartdesk.coding.models import CodeSystem
from chartdesk.coding.workflow.codes import dotted
from chartdesk.coding.workflow.models import CodingCase, ReviewChange


def snapshot(case: CodingCase) -> dict[str, list[dict[str, Any]]]:
    return {
        "diagnoses": [
            {"code": row.code, "poa": row.poa, "position": row.position} for row in case.diagnoses.order_by("position")
        ],
        "procedures": [
            {
                "system": row.system, "code": row.code, "modifiers": list(row.modifiers), "units": row.units,
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
    return before["poa"] == after["poa"] and (before["position"] == 1) == (after["position"] == 1)


def _procedure_key(row: dict[str, Any]) -> tuple[str, str]:
    return row["system"], row["code"]


def _procedure_same(before: dict[str, Any], after: dict[str, Any]) -> bool:
    fields = ("modifiers", "units", "performed_on", "provider_id")
    return all(before[field] == after[field] for field in fields)


def differences(
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    key: Any,
    same: Any,
    describe: Any,
) -> list[tuple[str, str, str]]:
    """(kind, before, after) for every difference between two code lists."""
    found: list[tuple[str, str, str]] = []
    after_by_key = {key(row): row for row in after}
    before_keys = {key(row) for row in before}
    only_before = []
    for row in before:
        match = after_by_key.get(key(row))
        if match is None:
            only_before.append(row)
        elif not same(row, match):
            found.append((ReviewChange.Kind.CHANGED, describe(row), describe(match)))
    only_after = [row for row in after if key(row) not in before_keys]
    for old, new in zip(only_before, only_after, strict=False):
        found.append((ReviewChange.Kind.CHANGED, describe(old), describe(new)))
    for old in only_before[len(only_after):]:
        found.append((ReviewChange.Kind.REMOVED, describe(old), ""))
    for new in only_after[len(only_before):]:
        found.append((ReviewChange.Kind.ADDED, "", describe(new)))
    return found


def record_review_changes(case: CodingCase, *, reviewer: Any) -> list[ReviewChange]:
    coder = case.coded_by
    assert coder is not None, "only a coded case is reviewed"
    baseline = case.review_baseline or {"diagnoses": [], "procedures": []}
    final = snapshot(case)
    rows: list[ReviewChange] = []
    for system, kind, before, after in (
        [(CodeSystem.ICD10CM, *change) for change in differences(
            baseline["diagnoses"], final["diagnoses"], lambda row: row["code"], _diagnosis_same,
            describe_diagnosis)]
        + [("procedure", *change) for change in differences(
            baseline["procedures"], final["procedures"], _procedure_key, _procedure_same, describe_procedure)]
    ):
        rows.append(ReviewChange.objects.create(
            case=case, coder=coder, reviewer=reviewer, kind=kind, system=system, before=before, after=after,
        ))
    return rows
