"""The roles of an HIM department and the named permissions each one holds.

This table is the single source of truth: `sync_roles` makes the Django groups match it after every
migrate, and docs/permissions.md is generated from it (a test fails if the two differ).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction


@dataclass(frozen=True)
class Role:
    slug: str
    label: str
    permissions: tuple[str, ...]
    home: str  # what this role's home page shows first


SEARCH = ("patients.search_patients", "patients.view_chart")
READ_DOCS = ("charts.view_documents",)

ROLES: tuple[Role, ...] = (
    Role(
        "registrar",
        "Registrar / HIM clerk",
        SEARCH
        + READ_DOCS
        + (
            "patients.register_patient",
            "patients.edit_patient",
            "patients.reveal_ssn",
            "charts.open_encounter",
            "charts.upload_document",
            "charts.retract_document",
            "filing.track_charts",
            "filing.scan_documents",
            "filing.review_scans",
        ),
        "Register patients, index scanned paper, correct misfiles.",
    ),
    Role(
        "coder",
        "Coder",
        SEARCH
        + READ_DOCS
        + ("coding.use_encoder", "coding_workflow.view_coding_queue", "coding_workflow.code_encounters"),
        "Code finished encounters.",
    ),
    Role(
        "billing",
        "Billing specialist",
        SEARCH
        + (
            "coding.use_encoder",
            "billing.manage_billing_setup",
            "billing.work_claims",
            "billing.view_billing_reports",
        ),
        "Charges, claims, remittances and statements.",
    ),
    Role(
        "roi",
        "Release-of-information specialist",
        SEARCH
        + READ_DOCS
        + ("disclosures.work_requests", "disclosures.release_records", "disclosures.label_sensitivity"),
        "Requests for copies of records.",
    ),
    Role(
        "transcriptionist",
        "Transcriptionist",
        SEARCH
        + READ_DOCS
        + (
            "charts.write_note",
            "charts.upload_document",
            "charts.correct_document",
            "transcription.dictate",
            "transcription.view_transcription_queue",
            "transcription.transcribe",
        ),
        "Turn dictation into documents ready to sign.",
    ),
    Role(
        "provider",
        "Provider",
        SEARCH
        + READ_DOCS
        + (
            "charts.open_encounter",
            "charts.write_note",
            "charts.upload_document",
            "charts.sign_document",
            "charts.correct_document",
            "charts.add_addendum",
            "charts.retract_document",
            "charts.view_retracted",
            "accounts.break_the_glass",
            "clinical.record_clinical",
            "coding_workflow.answer_coding_queries",
            "completion.complete_charts",
            "transcription.dictate",
        ),
        "Documents waiting for your signature.",
    ),
    Role(
        "him_manager",
        "HIM manager",
        SEARCH
        + READ_DOCS
        + (
            "patients.register_patient",
            "patients.edit_patient",
            "patients.reveal_ssn",
            "patients.restrict_chart",
            "patients.merge_patients",
            "patients.import_patients",
            "charts.open_encounter",
            "charts.upload_document",
            "charts.retract_document",
            "charts.view_retracted",
            "audit.view_audit_reports",
            "audit.export_audit",
            "accounts.break_the_glass",
            "interop.import_fhir",
            "interop.bulk_export",
            "interop.work_hl7_queue",
            "coding.use_encoder",
            "coding_workflow.view_coding_queue",
            "coding_workflow.assign_coding",
            "coding_workflow.review_coding",
            "coding_workflow.view_coding_reports",
            "billing.view_billing_reports",
            "reports.view_department_reports",
            "completion.manage_deficiencies",
            "completion.manage_rules",
            "filing.track_charts",
            "filing.scan_documents",
            "filing.review_scans",
            "filing.manage_file_rooms",
            "filing.manage_retention",
            "charts.destroy_content",
            "transcription.view_transcription_queue",
            "transcription.assign_transcription",
            "transcription.manage_transcription_templates",
            "transcription.review_transcription_qa",
            "jobs.view_all_jobs",
            "schedule.manage_schedules",
            "schedule.book_appointments",
            "schedule.work_day_sheet",
            "schedule.send_reminders",
        ),
        "Department work, restricted charts and audit review.",
    ),
    Role(
        "privacy_officer",
        "Privacy officer (auditor)",
        SEARCH
        + READ_DOCS
        + (
            "patients.restrict_chart",
            "charts.view_retracted",
            "audit.view_audit_reports",
            "audit.export_audit",
            "audit.verify_chain",
            "accounts.break_the_glass",
            "charts.add_addendum",
            "disclosures.label_sensitivity",
            "disclosures.manage_amendments",
            "disclosures.manage_restrictions",
            "disclosures.manage_accounting",
            "disclosures.export_deidentified",
        ),
        "Who looked at what: audit reports and break-the-glass review.",
    ),
    Role(
        "front_desk",
        "Scheduler / front desk",
        SEARCH
        + (
            "patients.register_patient",
            "patients.edit_patient",
            "charts.open_encounter",
            "billing.collect_copay",
            "schedule.book_appointments",
            "schedule.work_day_sheet",
            "schedule.send_reminders",
        ),
        "Today's day sheet: arrivals, check-in and check-out; booking and the waitlist.",
    ),
    Role(
        "administrator",
        "Administrator",
        ("accounts.manage_users", "audit.view_audit_reports", "audit.verify_chain", "interop.manage_api_clients",
         "interop.manage_hl7_destinations",
         "interop.import_fhir", "jobs.view_all_jobs"),
        "Users, roles and multi-factor settings.",
    ),
    Role(
        "instructor",
        "Training instructor",
        ("training.teach_courses",),
        "Courses, join codes, the gradebook and answer keys (no patient data).",
    ),
    Role(
        "student",
        "Training student",
        ("training.take_training",),
        "Courses joined and exercises; patient work happens only inside the student's sandbox.",
    ),
    Role(
        # Given only inside a training sandbox (training/sandbox.py), to the student's copy there: the
        # desk work the exercises practise, on synthetic patients. Nobody holds it in the main database.
        "trainee",
        "Trainee (inside a training sandbox)",
        SEARCH
        + READ_DOCS
        + (
            "patients.register_patient",
            "patients.edit_patient",
            "patients.merge_patients",
            "charts.open_encounter",
            "charts.write_note",
            "charts.upload_document",
            "charts.correct_document",
            "coding.use_encoder",
            "coding_workflow.view_coding_queue",
            "coding_workflow.code_encounters",
            "completion.manage_deficiencies",
            "disclosures.work_requests",
            "disclosures.release_records",
            "filing.track_charts",
            "filing.scan_documents",
            "billing.work_claims",
            "transcription.view_transcription_queue",
            "transcription.transcribe",
        ),
        "Practice work on the synthetic patients of your sandbox.",
    ),
    Role(
        "interface",
        "Interface (system account)",
        SEARCH
        + READ_DOCS
        + (
            "patients.register_patient",
            "patients.edit_patient",
            "charts.open_encounter",
            "charts.write_note",
            "clinical.record_clinical",
            "interop.receive_hl7",
            "interop.bulk_export",
            "patients.merge_patients",
            # IN1 insurance becomes billing's coverage (and an unknown payer a new payer).
            "billing.manage_billing_setup",
            # SIU from an outside scheduling system: S12-S15 book, move and cancel; S26 marks a no-show.
            "schedule.book_appointments",
            "schedule.work_day_sheet",
        ),
        "The account HL7 feeds and FHIR imports write as; nobody logs in with it.",
    ),
)

ROLES_BY_SLUG = {role.slug: role for role in ROLES}
# System accounts write through feeds and imports; a password for them at the desk would be a log-in
# that bypasses every person's own account (and their audit trail).
DESK_BARRED_ROLES = frozenset({"interface"})
# Roles held only by a student's copy inside a training sandbox: a user of the main database holding
# one would see real patients with a student's permissions.
SANDBOX_ONLY_ROLES = frozenset({"trainee"})
ROLE_GROUP_PREFIX = "role:"


def group_name(slug: str) -> str:
    return ROLE_GROUP_PREFIX + slug


def role_of(user: Any) -> str:
    """The role slug of a user (their first role group), or '' for none."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    cached = getattr(user, "_chartdesk_role", None)
    if cached is None:
        names = sorted(
            name for name in user.groups.values_list("name", flat=True) if name.startswith(ROLE_GROUP_PREFIX)
        )
        cached = names[0][len(ROLE_GROUP_PREFIX) :] if names else ""
        user._chartdesk_role = cached
    return cached


def users_with_permission(permission: str) -> Any:
    """The active users who hold `permission` (through their role, directly, or as superuser), in
    user-name order, in one query: asking each user's has_perm costs two queries a user, which a
    page listing assignees paid on every view (seconds once a site has a few hundred accounts)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.with_perm(permission, is_active=True, include_superusers=True,
                                               backend="chartdesk.accounts.backends.DeskBackend")
    return users.order_by("username")


def role_label(slug: str) -> str:
    role = ROLES_BY_SLUG.get(slug)
    return role.label if role else slug


def sync_roles() -> None:
    """Make each role group hold exactly the permissions in ROLES (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    from chartdesk.accounts.models import RolePolicy

    wanted = {perm for role in ROLES for perm in role.permissions}
    by_name = {
        f"{perm.content_type.app_label}.{perm.codename}": perm
        for perm in Permission.objects.select_related("content_type")
    }
    missing = sorted(wanted - by_name.keys())
    if missing:
        raise RuntimeError(f"Roles name permissions that no model declares: {', '.join(missing)}")
    with transaction.atomic():
        for role in ROLES:
            group, _ = Group.objects.get_or_create(name=group_name(role.slug))
            RolePolicy.objects.get_or_create(group=group)
            current = set(group.permissions.all())
            target = {by_name[perm] for perm in role.permissions}
            if current != target:
                group.permissions.set(target)


def sync_roles_after_migrate(sender: Any, app_config: Any = None, **kwargs: Any) -> None:
    # post_migrate fires once per app, after auth has created that app's permissions; run once
    # the last app with models has been through, when every permission exists.
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if app_config is not None and with_models and app_config.label == with_models[-1].label:
        sync_roles()


def desk_role_context(request: Any) -> dict[str, Any]:
    """The signed-in user's role for every desk page (core's context processor asks for it)."""
    user = getattr(request, "user", None)
    return {"current_role": role_of(user) if user is not None and user.is_authenticated else None}
