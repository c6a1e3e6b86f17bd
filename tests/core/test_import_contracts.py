"""The dependency direction holds: core imports no app, apps import only the layers below them, and
no app imports another's views (the [tool.importlinter] contracts of pyproject.toml, which
`make test` also runs as `lint-imports`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint_imports), "--config", str(PYPROJECT), "--no-cache"],
                         capture_output=True, text=True, cwd=PYPROJECT.parent, timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout
