"""Reading 270/271/276/277 files with an independent, maintained parser: LinuxForHealth x12 (Apache-2.0)
models 005010X279A1 and 005010X212 in pydantic and refuses a file that breaks the guide's structure or
its code values. Like the 837I reader (x12_reader.py) it runs in a child process where pydantic 2's
`pydantic.v1` stands in for the pydantic 1 it is written for. pyx12 4.0.0, the newest release on PyPI,
ships no 005010X279A1 map and does not register its 005010X212 map, so it cannot check these guides."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

_READ = r"""
import json, sys
import pydantic.v1
sys.modules["pydantic"] = pydantic.v1
from linuxforhealth.x12.io import X12ModelReader

with X12ModelReader(sys.argv[1]) as reader:
    models = [model.dict(exclude_none=True) for model in reader.models()]
print(json.dumps(models, default=str))
"""


def read_x12(path: Path) -> list[dict[str, Any]]:
    """Each transaction set of the file as LinuxForHealth reads it; a file it refuses fails the test."""
    result = subprocess.run([sys.executable, "-c", _READ, str(path)], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"LinuxForHealth x12 could not read {path.name}:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


def segments(tree: Any, name: str) -> list[dict[str, Any]]:
    """Every segment called `name` in a read transaction, in file order."""
    found: list[dict[str, Any]] = []
    if isinstance(tree, dict):
        if tree.get("segment_name") == name:
            found.append(tree)
        for value in tree.values():
            found += segments(value, name)
    elif isinstance(tree, list):
        for item in tree:
            found += segments(item, name)
    return found
