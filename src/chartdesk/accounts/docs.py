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
        "Break-the-glass belongs to the person at the desk who gave the reason: it does not extend to",
        "API clients that act as that user. A token's requests never open a restricted chart on the",
        "strength of its user's emergency access (they need a standing grant); such a read is refused",
        "and recorded as `access_denied` on channel `api`.",
        "",
        "Refusals are on the record: a view refused for a missing permission, an API request refused for",
        "a missing or bad token or for its scopes, and a restricted chart refused in any app each write",
        "an `access_denied` event with outcome `denied` (see docs/audit.md).",
        "",
        "The interface analyst is the HIM manager: `interop.work_hl7_queue` (the HL7 error queue, where",
        "refused messages are read, corrected, reprocessed or ignored) shows patient data from the",
        "messages, and the administrator's role holds no patient permissions, so it stays without it.",
        "A message naming a restricted chart opens only with a grant or break-the-glass, like the chart.",
        "",
        "`transcription.transcribe` takes a dictation for oneself; giving it to someone else needs",
        "`transcription.assign_transcription`. Authors review and sign the draft document with",
        "`charts.sign_document` on the document's own signing screen (docs/transcription.md). The editor",
        "with the audio and one's own abbreviation list need `transcription.transcribe`; the productivity",
        "report (line counts, turnaround, QA accuracy) needs `transcription.assign_transcription` (the HIM",
        "manager). The editor's document templates are managed with",
        "`transcription.manage_transcription_templates`, and the QA sample of finished drafts is scored with",
        "`transcription.review_transcription_qa` (both the HIM manager's); a transcriptionist reads the",
        "scores and feedback of their own drafts with `transcription.transcribe`.",
        "",
    ]
    return "\n".join(lines)
