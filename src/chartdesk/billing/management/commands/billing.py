"""`chartdesk billing create-claims | create-facility-claims | export-837 [--kind professional|institutional]
--out FILE | load-chargemaster FILE | ub04 CLAIM --out FILE | import-999 FILE | import-277ca FILE |
import-835 FILE | statements --out FILE`, and the eligibility and claim status inquiries (inquiries/cli.py:
export-270, import-271, export-276, import-277)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q

from chartdesk.billing.acknowledgements import segment_error_lines
from chartdesk.billing.inquiries import cli as inquiries
from chartdesk.billing.models import ClaimKind
from chartdesk.charts.models import EncounterClass
from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError


def _billing_user(username: str | None) -> Any:
    """The user the command acts as: --as, or the only active user who may work claims."""
    User = get_user_model()
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        return user
    permission = Permission.objects.get(codename="work_claims", content_type__app_label="billing")
    holders = list(User.objects.filter(Q(groups__permissions=permission) | Q(user_permissions=permission),
                                       is_active=True, is_superuser=False).distinct()[:2])
    if len(holders) != 1:
        raise CommandError("Say which billing user acts: --as USERNAME.")
    return holders[0]


class Command(BaseCommand):
    help = ("Billing: create and scrub claims (professional and institutional), export 837P/837I, load the "
            "chargemaster, print UB-04s, import 999 and 835 files, print statements.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="username", help="the billing user who acts (recorded in the audit log)")
        commands = parser.add_subparsers(dest="action", required=True)
        commands.add_parser("create-claims", help="create and scrub a claim for every encounter ready to bill")
        facility = commands.add_parser("create-facility-claims",
                                       help="create and scrub the institutional claim (837I) of every coded stay")
        facility.add_argument("--class", dest="classes", action="append", choices=list(EncounterClass.values),
                              help="encounter classes to bill (default: inpatient, emergency, observation)")
        export = commands.add_parser("export-837", help="write every ready claim of a kind into one 837 file")
        export.add_argument("--out", required=True, help="the file to write")
        export.add_argument("--kind", choices=list(ClaimKind.values), default=ClaimKind.PROFESSIONAL,
                            help="professional (837P, the default) or institutional (837I)")
        cdm = commands.add_parser("load-chargemaster", help="load chargemaster (CDM) lines from a CSV file")
        cdm.add_argument("file", help="CSV with the columns of docs/billing.md")
        ub04 = commands.add_parser("ub04", help="the UB-04 (CMS-1450) of an institutional claim as a PDF")
        ub04.add_argument("claim", help="the claim number")
        ub04.add_argument("--out", required=True, help="the PDF file to write")
        ack = commands.add_parser("import-999", help="record a 999 acknowledgement of batches sent")
        ack.add_argument("file", help="the 999 file")
        status = commands.add_parser("import-277ca", help="record a 277CA claim acknowledgement")
        status.add_argument("file", help="the 277CA file")
        remit = commands.add_parser("import-835", help="post an 835 remittance file")
        remit.add_argument("file", help="the 835 file")
        inquiries.add_parsers(commands)
        statements = commands.add_parser("statements", help="a PDF of statements for every patient who owes")
        statements.add_argument("--out", required=True, help="the PDF file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        user = _billing_user(options.get("username"))
        action = options["action"]
        try:
            with acting_as(channel="cli"):
                if action == "create-claims":
                    self._create_claims(user)
                elif action == "create-facility-claims":
                    self._create_facility_claims(user, tuple(options["classes"] or ()))
                elif action == "export-837":
                    self._export(user, Path(options["out"]), options["kind"])
                elif action == "load-chargemaster":
                    self._load_chargemaster(user, Path(options["file"]))
                elif action == "ub04":
                    self._ub04(user, options["claim"], Path(options["out"]))
                elif action == "import-999":
                    self._import_999(user, Path(options["file"]))
                elif action == "import-277ca":
                    self._import_277ca(user, Path(options["file"]))
                elif action in inquiries.ACTIONS:
                    inquiries.handle(action, user, options, self.stdout)
                elif action == "import-835":
                    self._import(user, Path(options["file"]))
                else:
                    self._statements(user, Path(options["out"]))
        except ChartdeskError as refusal:
            raise CommandError(refusal.message) from None

    def _create_claims(self, user: Any) -> None:
        from chartdesk.billing.actions import do_create_claims

        run = do_create_claims(acting_user=user)
        ready = sum(1 for claim in run.created if claim.status == "ready")
        self.stdout.write(f"{len(run.created)} claims created: {ready} ready, {len(run.created) - ready} with "
                          f"findings to fix.")
        for claim in run.created:
            for finding in claim.findings.all():
                self.stdout.write(f"  {claim.claim_number}: {finding.message}")
        for account, why in run.refused:
            self.stdout.write(f"  encounter {account} not billed: {why}")

    def _create_facility_claims(self, user: Any, classes: tuple[str, ...]) -> None:
        from chartdesk.billing.institutional.actions import FACILITY_CLASSES, do_create_facility_claims

        created, refused = do_create_facility_claims(acting_user=user, classes=classes or FACILITY_CLASSES)
        ready = sum(1 for claim in created if claim.status == "ready")
        self.stdout.write(f"{len(created)} institutional claims created: {ready} ready, {len(created) - ready} "
                          f"with findings to fix.")
        for claim in created:
            for finding in claim.findings.all():
                self.stdout.write(f"  {claim.claim_number}: {finding.message}")
        for account, why in refused:
            self.stdout.write(f"  encounter {account} not billed: {why}")

    def _load_chargemaster(self, user: Any, path: Path) -> None:
        from chartdesk.billing.institutional.actions import do_load_chargemaster

        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {getattr(error, 'strerror', None) or error}.") from None
        count = do_load_chargemaster(text, acting_user=user)
        self.stdout.write(f"Loaded {count} chargemaster lines from {path}.")

    def _ub04(self, user: Any, number: str, out: Path) -> None:
        from chartdesk.billing.institutional.ub04 import do_print_ub04

        pdf = do_print_ub04(number, acting_user=user)
        out.write_bytes(pdf)
        self.stdout.write(f"UB-04 of claim {number} written to {out}.")

    def _export(self, user: Any, out: Path, kind: str) -> None:
        from chartdesk.billing.export import do_export_837
        from chartdesk.billing.institutional.export import do_export_837i

        if out.exists():
            raise CommandError(f"{out} already exists; choose a new file name.")
        # One transaction with the file: when the file cannot be written, no claim is marked submitted.
        with transaction.atomic():
            export = do_export_837i if kind == ClaimKind.INSTITUTIONAL else do_export_837
            batch = export(acting_user=user)
            try:
                out.write_bytes(batch.content.encode("ascii"))
            except OSError as error:
                raise CommandError(f"Cannot write {out}: {error.strerror}; no claim was marked submitted.") from None
            except UnicodeEncodeError as error:
                raise CommandError(f"The batch holds '{error.object[error.start:error.end]}', outside the X12 "
                                   "character set; no claim was marked submitted.") from None
        self.stdout.write(f"Wrote {batch.claim_count} claims ({batch.total_charge}) to {out}: interchange "
                          f"{batch.interchange_control:09d}.")

    def _import_999(self, user: Any, path: Path) -> None:
        from chartdesk.billing.acknowledgements import do_import_999

        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        result = do_import_999(content, acting_user=user, file_name=path.name)
        for interchange in result.already_imported:
            self.stdout.write(f"Batch {interchange:09d}: this 999 was recorded before, nothing changed.")
        for group in result.unmatched_groups:
            self.stdout.write(f"Group {group}: no batch we sent has this control number, not recorded.")
        for ack in result.acknowledgements:
            self.stdout.write(f"Batch {ack.batch.interchange_control:09d} (group {ack.batch.group_control}): "
                              f"{ack.get_status_text()}, {ack.sets_accepted} of {ack.sets_received} transaction "
                              f"sets accepted.")
            for answer in ack.sets:
                if answer["status"] in ("A", "E") and not answer["segments"]:
                    continue
                self.stdout.write(f"  ST {answer['control']}: {answer['status_text']}"
                                  + "".join(f"; {e}" for e in answer["errors"]))
                for segment_error in answer["segments"]:
                    for line in segment_error_lines(segment_error):
                        self.stdout.write(f"    {line}")
        self.stdout.write(f"{result.claims_accepted} claims accepted, {result.claims_rejected} claims rejected.")

    def _import_277ca(self, user: Any, path: Path) -> None:
        from chartdesk.billing.claim_status import do_import_277ca

        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        result = do_import_277ca(content, acting_user=user, file_name=path.name)
        if result.already_imported:
            self.stdout.write("This 277CA was recorded before: nothing changed.")
            return
        for sentence in result.batch_statuses:
            self.stdout.write(f"Batch: {sentence}")
        self.stdout.write(f"{len(result.accepted)} claims accepted, {len(result.rejected)} rejected, "
                          f"{len(result.pending)} pending.")
        from chartdesk.billing.models import ClaimStatusAnswer

        for answer in ClaimStatusAnswer.objects.filter(report=result.report, outcome="rejected", claim__isnull=False):
            self.stdout.write(f"  {answer.claim_number} rejected: " + "; ".join(row[3] for row in answer.statuses))
        for number in result.unmatched:
            self.stdout.write(f"  {number}: no claim of ours has this number, kept with the file.")

    def _import(self, user: Any, path: Path) -> None:
        from chartdesk.billing.remittance import do_import_835

        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        result = do_import_835(content, acting_user=user, file_name=path.name)
        for trace in result.already_imported:
            self.stdout.write(f"Remittance {trace} was imported before: nothing changed.")
        self.stdout.write(f"{result.claims_posted} claims posted, {result.denials} denials queued, "
                          f"{len(result.secondary_claims)} secondary claims created.")
        for sentence in result.trace_reused:
            self.stdout.write(sentence)
        for line in result.unmatched:
            self.stdout.write(f"  not posted: {line}")
        for line in result.held:
            self.stdout.write(f"  held for review (billing desk, Held payments): {line}")

    def _statements(self, user: Any, out: Path) -> None:
        from chartdesk.billing.statements import do_create_statement_batch, statement_batch_pdf

        batch = do_create_statement_batch(acting_user=user)
        out.write_bytes(statement_batch_pdf(batch))
        self.stdout.write(f"{batch.statement_count} statements written to {out}.")
