"""The inquiry subcommands of `chartdesk billing`: export-270 (--days N | --patient MRN) --out FILE,
import-271 FILE, export-276 --older-than N --out FILE, import-277 FILE."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.db import transaction

ACTIONS = ("export-270", "import-271", "export-276", "import-277")


def add_parsers(commands: Any) -> None:
    export_270 = commands.add_parser("export-270", help="write a 270 eligibility inquiry for the coming days' "
                                                        "visits or for one patient")
    which = export_270.add_mutually_exclusive_group(required=True)
    which.add_argument("--days", type=int, help="ask about patients booked from tomorrow to N days ahead")
    which.add_argument("--patient", help="ask about one patient's active coverage (MRN)")
    export_270.add_argument("--out", required=True, help="the file to write")
    import_271 = commands.add_parser("import-271", help="record a 271 eligibility response")
    import_271.add_argument("file", help="the 271 file")
    export_276 = commands.add_parser("export-276", help="write a 276 claim status inquiry for claims sent more "
                                                        "than N days ago and not yet answered")
    export_276.add_argument("--older-than", dest="older_than", type=int, required=True, help="days since sending")
    export_276.add_argument("--out", required=True, help="the file to write")
    import_277 = commands.add_parser("import-277", help="record a 277 claim status response (005010X212)")
    import_277.add_argument("file", help="the 277 file")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from None


def _write(out: Path, text: str) -> None:
    try:
        out.write_bytes(text.encode("ascii"))
    except OSError as error:
        raise CommandError(f"Cannot write {out}: {error.strerror}; nothing was recorded.") from None


def handle(action: str, user: Any, options: dict[str, Any], stdout: Any) -> None:
    if action == "export-270":
        _export_270(user, options, Path(options["out"]), stdout)
    elif action == "import-271":
        _import_271(user, Path(options["file"]), stdout)
    elif action == "export-276":
        _export_276(user, options["older_than"], Path(options["out"]), stdout)
    else:
        _import_277(user, Path(options["file"]), stdout)


def _export_270(user: Any, options: dict[str, Any], out: Path, stdout: Any) -> None:
    from chartdesk.billing.inquiries.eligibility import do_export_270_for_patient, do_export_270_for_visits
    from chartdesk.patients.models import Patient

    if out.exists():
        raise CommandError(f"{out} already exists; choose a new file name.")
    # One transaction with the file: a file that cannot be written leaves no request on record.
    with transaction.atomic():
        if options.get("patient"):
            patient = Patient.objects.filter(mrn=options["patient"].strip()).first()
            if patient is None:
                raise CommandError(f"No patient with MRN {options['patient']!r}.")
            inquiry = do_export_270_for_patient(patient, acting_user=user)
            self_pay: list[Any] = []
        else:
            visits = do_export_270_for_visits(options["days"], acting_user=user)
            inquiry, self_pay = visits.inquiry, visits.self_pay
        _write(out, inquiry.content)
    stdout.write(f"Wrote {inquiry.line_count} eligibility requests to {out}: interchange "
                 f"{inquiry.interchange_control}.")
    for check in inquiry.eligibility_checks.select_related("coverage__patient", "coverage__payer").order_by("id"):
        stdout.write(f"  {check.trace_number}: {check.coverage.patient.mrn}, {check.coverage.payer.name} member "
                     f"{check.coverage.member_id}, visit {check.service_date.isoformat()}")
    for mrn, day in self_pay:
        stdout.write(f"  {mrn} on {day.isoformat()}: no active coverage, not asked (self-pay)")


def _import_271(user: Any, path: Path, stdout: Any) -> None:
    from chartdesk.billing.inquiries.eligibility import describe, do_import_271

    result = do_import_271(_read(path), acting_user=user, file_name=path.name)
    if result.already_imported:
        stdout.write("This 271 was recorded before: nothing changed.")
        return
    stdout.write(f"{len(result.matched)} answers matched to our requests, {len(result.unmatched)} not matched.")
    for row in result.matched:
        coverage = row.coverage
        stdout.write(f"  {row.trace_number}: {coverage.patient.mrn if coverage else ''}, "
                     f"{coverage.payer.name if coverage else ''}: {describe(row)}")
    for trace in result.unmatched:
        stdout.write(f"  {trace}: no request of ours has this trace number, kept with the file.")


def _export_276(user: Any, days: int, out: Path, stdout: Any) -> None:
    from chartdesk.billing.inquiries.claim_status import do_export_276

    if out.exists():
        raise CommandError(f"{out} already exists; choose a new file name.")
    with transaction.atomic():
        inquiry = do_export_276(days=days, acting_user=user)
        _write(out, inquiry.inquiry.content)
    stdout.write(f"Wrote {len(inquiry.claims)} claim status requests to {out}: interchange "
                 f"{inquiry.inquiry.interchange_control}.")
    for claim in inquiry.claims:
        stdout.write(f"  {claim.claim_number}: {claim.payer.name}, sent {claim.submitted_at:%Y-%m-%d}")


def _import_277(user: Any, path: Path, stdout: Any) -> None:
    from chartdesk.billing.inquiries.claim_status import describe, do_import_277

    result = do_import_277(_read(path), acting_user=user, file_name=path.name)
    if result.already_imported:
        stdout.write("This 277 was recorded before: nothing changed.")
        return
    stdout.write(f"{len(result.matched)} claim answers matched, {len(result.unmatched)} not matched.")
    for row in result.matched:
        stdout.write(f"  {row.claim.claim_number if row.claim else ''}: {describe(row)}")
    for trace in result.unmatched:
        stdout.write(f"  {trace}: no claim of ours was asked about under this trace number, kept with the file.")
