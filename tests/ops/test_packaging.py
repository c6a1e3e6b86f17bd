"""The package metadata builds without setuptools' deprecation warning for a table-form licence."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_licence_is_an_spdx_expression_and_the_build_needs_a_setuptools_that_reads_it():
    project = tomllib.loads(PYPROJECT.read_text())
    assert project["project"]["license"] == "AGPL-3.0-or-later"
    setuptools = next(Requirement(line) for line in project["build-system"]["requires"]
                      if Requirement(line).name == "setuptools")
    # setuptools 77 is the first that takes the SPDX string (PEP 639); older ones refuse it.
    assert not setuptools.specifier.contains(Version("76.1.0"))
    assert setuptools.specifier.contains(Version("77.0.0"))
