"""The `chartdesk` command: Chartdesk's own subcommands and every Django management command.

`chartdesk demo-data` runs the management command `demo_data`: hyphens read better on a command
line, while Python module names need underscores.
"""

from __future__ import annotations

import os
import shutil
import sys


def invocation() -> str:
    """The command as the user should type it to run Chartdesk again from where they are.

    `make demo` installs into .venv without activating it, so a plain `chartdesk` is often not on
    PATH: then the running program's own path is what works (".venv/bin/chartdesk").
    """
    program = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if os.path.basename(program) != "chartdesk":
        return "chartdesk"  # run another way (tests, `python -m`): nothing better to suggest
    on_path = shutil.which("chartdesk")
    if on_path and os.path.samefile(on_path, program):
        return "chartdesk"
    relative = os.path.relpath(program)
    return program if relative.startswith("..") else relative


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chartdesk.settings")
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    args[0] = "chartdesk"

    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(args)
    except ImproperlyConfigured as refusal:
        print(f"chartdesk: {refusal}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
