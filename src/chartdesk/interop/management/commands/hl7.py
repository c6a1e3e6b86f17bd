"""`chartdesk hl7 listen --port P` (the MLLP listener) and `chartdesk hl7 send FILE --port P`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


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

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "listen":
            self._listen(options)
        else:
            self._send(options)

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
