"""docs/permissions.md, generated from the ROLES table so the document can never drift from the code."""

from __future__ import annotations

from django.apps import apps

from chartdesk.accounts.roles import ROLES

REGENERATE = "chartdesk permissions-doc > docs/permissions.md"


def permission_descriptions() -> dict[str, str]:
    """'app.codename' -> the description declared in a model's Meta.permissions."""
    found: dict[str, str] = {}
    for model in apps.get_models():
        for codename, description in model._meta.permissions:
            found[f"{model._meta.app_label}.{codename}"] = description
    return found


def render_permission_matrix() -> str:
    """The role × permission matrix as Markdown: one row per permission, one column per role."""
    descriptions = permission_descriptions()
    permissions = sorted({permission for role in ROLES for permission in role.permissions})
    lines = [
        "# Roles and permissions",
        "",
        "Generated from `src/chartdesk/accounts/roles.py`; do not edit by hand. Regenerate with:",
        "",
        "```",
        REGENERATE,
        "```",
        "",
        "A test fails when this file differs from what the roles table generates.",
        "",
        "## Roles",
        "",
        "| Role | Slug | Home page shows |",
        "|---|---|---|",
    ]
    lines += [f"| {role.label} | `{role.slug}` | {role.home} |" for role in ROLES]
    lines += [
        "",
        "## Matrix",
        "",
        "| Permission | Meaning | " + " | ".join(f"`{role.slug}`" for role in ROLES) + " |",
        "|---|---|" + "---|" * len(ROLES),
    ]
    for permission in permissions:
        marks = " | ".join("✔" if permission in role.permissions else "" for role in ROLES)
        lines.append(f"| `{permission}` | {descriptions.get(permission, '')} | {marks} |")
    lines += [
        "",
        "Every view declares the permission it needs (`chartdesk.core.permissions.requires`), and the",
        "access functions check it again before reading patient data. Restricted charts need, beyond",
        "the permission, a grant for the user or break-the-glass with a reason.",
        "",
        "Accounts (create, role, password reset with a forced change, unlock, deactivate) and lock-out",
        "per account and per client address are described in docs/operations.md. The `interface`",
        "account never logs in at the desk.",
        "",
        "`coding_workflow.view_coding_reports` also opens the case-mix index and DRG shifts",
        "(`/coding/work/case-mix/`). The inpatient abstract on the coding screen is changed by whoever may",
        "change the codes then: the assigned coder while coding, a reviewer in review.",
        "",
        "`transcription.transcribe` takes a dictation for oneself; giving it to someone else needs",
        "`transcription.assign_transcription`. Authors review and sign the draft document with",
        "`charts.sign_document` on the document's own signing screen (docs/transcription.md).",
        "",
    ]
    return "\n".join(lines)
