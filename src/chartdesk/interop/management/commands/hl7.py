"""`chartdesk hl7 listen --port P` (the MLLP listener), `chartdesk hl7 send FILE --port P`, and the
outbound side: `chartdesk hl7 destination NAME --host H --port P --by ADMIN` and
`chartdesk hl7 send-outbound [--loop]` (docs/interop.md, "Outbound ADT")."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError


class Command(BaseCommand):
    help = "HL7 v2 over MLLP: listen for ADT messages, or send a file of messages and print the ACKs."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listen = sub.add_parser("listen", help="accept HL7 v2 ADT messages over MLLP (events: docs/interop.md)")
        listen.add_argument("--port", type=int, default=2575)
        listen.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
        send = sub.add_parser("send", help="send the messages of a file (one per MSH) and print each ACK")
        send.add_argument("file")
        send.add_argument("--port", type=int, default=2575)
        send.add_argument("--host", default="127.0.0.1")
        outbound = sub.add_parser("send-outbound", help="deliver the outbound ADT messages that are due, once")
        outbound.add_argument("--loop", action="store_true", help="keep delivering until stopped (Ctrl-C)")
        outbound.add_argument("--interval", type=float, default=5.0, help="seconds between passes with --loop")
        destination = sub.add_parser("destination", help="add or change an outbound ADT destination")
        destination.add_argument("name")
        destination.add_argument("--host", required=True)
        destination.add_argument("--port", type=int, required=True)
        destination.add_argument("--events", default="", help="comma-separated, of A04,A08,A28,A31,A40 (default all)")
        destination.add_argument("--inactive", action="store_true", help="stop sending to it (its queue is kept)")
        destination.add_argument("--by", required=True, help="the administrator making the change")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] in ("listen", "send"):  # the listener's writes carry its own channel
            getattr(self, "_" + options["action"])(options)
            return
        with acting_as(channel="cli"):
            try:
                getattr(self, "_" + options["action"].replace("-", "_"))(options)
            except ChartdeskError as refusal:
                raise CommandError(refusal.message) from None

    def _destination(self, options: dict[str, Any]) -> None:
        from chartdesk.interop.hl7v2.outbound import do_save_destination

        user = get_user_model().objects.filter(username=options["by"]).first()
        if user is None:
            raise CommandError(f"No user {options['by']!r}.")
        destination = do_save_destination(options["name"], host=options["host"], port=options["port"],
                                          events=options["events"], active=not options["inactive"],
                                          acting_user=user)
        self.stdout.write(f"Destination {destination} takes {destination.events}"
                          f"{'' if destination.active else ' (inactive)'}.")

    def _send_outbound(self, options: dict[str, Any]) -> None:
        from chartdesk.interop.hl7v2.outbound import send_outbound

        while True:
            report = send_outbound()
            for line in report.lines:
                self.stdout.write(line)
            if not options["loop"]:
                self.stdout.write(f"{report.sent} sent, {report.retried} to try again, {report.dead} dead letter(s).")
                return
            try:
                time.sleep(options["interval"])
            except KeyboardInterrupt:
                return

    def _listen(self, options: dict[str, Any]) -> None:
        from chartdesk.interop.hl7v2.listener import MllpServer
        from chartdesk.interop.system_user import interface_user

        server = MllpServer(interface_user(), host=options["host"], port=options["port"])

        def ready(port: int) -> None:
            self.stdout.write(f"Listening for HL7 v2 over MLLP on {options['host']}:{port} (Ctrl-C stops).")
            self.stdout.flush()

        try:
            asyncio.run(server.serve(ready))
        except KeyboardInterrupt:
            self.stdout.write(f"Stopped after {server.received} message(s).")
        except OSError as failure:
            raise CommandError(f"Cannot listen on port {options['port']}: {failure}") from None
        finally:
            server.close()

    def _send(self, options: dict[str, Any]) -> None:
        from chartdesk.interop.hl7v2.client import ack_code, send_messages, split_messages

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        messages = split_messages(path.read_text(encoding="utf-8", errors="replace"))
        if not messages:
            raise CommandError(f"{path} holds no HL7 messages (each starts with MSH).")
        try:
            acks = send_messages(messages, host=options["host"], port=options["port"])
        except OSError as failure:
            raise CommandError(f"Cannot send to {options['host']}:{options['port']}: {failure}") from None
        for ack in acks:
            self.stdout.write(ack.replace("\r", "\n").rstrip())
            self.stdout.write("")
        codes = [ack_code(ack) for ack in acks]
        self.stdout.write(f"{len(acks)} message(s): " + ", ".join(f"{codes.count(c)} {c}" for c in sorted(set(codes))))
