"""`chartdesk interop ...`: API clients (administrators), patient groups, the bulk export worker,
interface alerts."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError
from chartdesk.interop.models import ApiClient, InterfaceAlert, PatientGroup
from chartdesk.patients.models import Patient


class Command(BaseCommand):
    help = "Interoperability administration: API clients, patient groups, the export worker, alerts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        client = sub.add_parser("add-client", help="register an API client (prints its id and secret once)")
        client.add_argument("name")
        client.add_argument("--as-user", required=True, help="the user the client acts as")
        client.add_argument("--scope", action="append", required=True, help="patient/*.read, user/*.read, ...")
        client.add_argument("--patient-mrn", default="", help="for patient/*.read: the one patient")
        client.add_argument("--by", required=True, help="the administrator registering it")
        revoke = sub.add_parser("revoke-client", help="deactivate a client and its tokens")
        revoke.add_argument("client_id")
        revoke.add_argument("--by", required=True)
        group = sub.add_parser("group", help="create or replace a patient group for group export")
        group.add_argument("name")
        group.add_argument("mrns", nargs="+")
        work = sub.add_parser("work", help="run queued bulk exports and imports (the worker)")
        work.add_argument("--once", action="store_true", help="run what is queued now, then stop")
        work.add_argument("--interval", type=float, default=5.0)
        sub.add_parser("alerts", help="list unresolved interface alerts")

    def handle(self, *args: Any, **options: Any) -> None:
        with acting_as(channel="cli"):
            try:
                getattr(self, "_" + options["action"].replace("-", "_"))(options)
            except ChartdeskError as refusal:
                raise CommandError(refusal.message) from None

    def _user(self, username: str) -> Any:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        return user

    def _add_client(self, options: dict[str, Any]) -> None:
        from chartdesk.interop.tokens import do_register_api_client

        patient = None
        if options["patient_mrn"]:
            patient = Patient.objects.filter(mrn=options["patient_mrn"]).first()
            if patient is None:
                raise CommandError(f"No patient with MRN {options['patient_mrn']}.")
        client, secret = do_register_api_client(options["name"], user=self._user(options["as_user"]),
                                                scopes=options["scope"], patient=patient,
                                                acting_user=self._user(options["by"]))
        self.stdout.write(f"client_id={client.client_id}\nclient_secret={secret}\n"
                          "The secret is shown once; only its digest is kept.")

    def _revoke_client(self, options: dict[str, Any]) -> None:
        from chartdesk.interop.tokens import do_revoke_api_client

        client = ApiClient.objects.filter(client_id=options["client_id"]).first()
        if client is None:
            raise CommandError(f"No client {options['client_id']}.")
        do_revoke_api_client(client, acting_user=self._user(options["by"]))
        self.stdout.write(f"Revoked {client.client_id} and its tokens.")

    def _group(self, options: dict[str, Any]) -> None:
        patients = list(Patient.objects.filter(mrn__in=options["mrns"]))
        missing = sorted(set(options["mrns"]) - {patient.mrn for patient in patients})
        if missing:
            raise CommandError(f"No patients with MRN {', '.join(missing)}.")
        group, _ = PatientGroup.objects.get_or_create(name=options["name"])
        group.members.set(patients)
        self.stdout.write(f"Group {group.pk} ({group.name}): {len(patients)} patients.")

    def _work(self, options: dict[str, Any]) -> None:
        from chartdesk.interop.fhir import import_jobs
        from chartdesk.interop.fhir.export import run_queued

        while True:
            ran = run_queued()
            if ran:
                self.stdout.write(f"Ran {ran} export job(s).")
            imported = import_jobs.run_queued()
            if imported:
                self.stdout.write(f"Ran {imported} import job(s).")
            if options["once"]:
                return
            time.sleep(options["interval"])

    def _alerts(self, options: dict[str, Any]) -> None:
        for alert in InterfaceAlert.objects.filter(resolved_at__isnull=True).order_by("raised_at"):
            self.stdout.write(f"{alert.raised_at:%Y-%m-%d %H:%M} {alert.kind}: {alert.message}")
