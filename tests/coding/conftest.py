"""Fixtures of the coding tests. The real ICD-10-CM and ICD-10-PCS subset they code against is
loaded once per session for the whole suite (tests/support/codesets.py, tests/conftest.py); tests
that load files themselves (idempotence, bad files) work inside their own transaction on top."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def hcpcs_sample() -> Path:
    """Lines of CMS's 2019 alpha-numeric file, disclaimers and all, in its own fixed-width layout."""
    return DATA / "HCPC2019_sample.txt"


@pytest.fixture(autouse=True)
def _fresh_code_set_caches() -> Iterator[None]:
    """Each test's loads roll back with it: forget what the per-process caches learned meanwhile."""
    from chartdesk.coding.encoder.index import forget_indexes

    forget_indexes()
    yield
    forget_indexes()
