"""Real code-set content for the coding tests, loaded once per test session.

The full ICD-10-CM takes tens of seconds to load, too slow per test. Instead the session loads a
real subset of the official tabular XML (the categories named in TEST_CATEGORIES, with their
blocks, chapters, notes and 7th characters, exactly as the full load would store them) and a few
real ICD-10-PCS tables, once, into the test database before any test runs; each test then runs in
its own transaction on top and rolls back. Tests that load files themselves (idempotence, bad
files) work inside their own transaction the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chartdesk.coding.actions import do_load_code_set
from chartdesk.coding.codesets.icd10cm import packaged_tabular
from chartdesk.coding.codesets.icd10pcs import packaged_pcs

DATA = Path(__file__).parent / "data"
TEST_CATEGORIES = (
    "E08", "E09", "E10", "E11", "E13", "E85", "E66", "E78",  # diabetes and its Excludes1 partners, amyloidosis
    "G63", "G30", "F02", "G20", "G35",  # manifestations and their etiologies
    "S72", "S01", "S06", "S62",  # 7th characters, placeholder X, the S06 exception
    "O80", "O24", "O09", "P07", "P70", "Z37", "Z3A",  # maternity and newborn
    "N40", "N39", "N18", "N17", "I10", "I12", "I21", "I25", "I48", "I50", "J44", "J18", "J45",
    "R07", "R50", "R05", "Z79", "Z87",
)
TEST_PCS_TABLES = ("0DT", "0SR", "02H")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        do_load_code_set("icd10cm", packaged_tabular(), acting_user=None, only=TEST_CATEGORIES)
        do_load_code_set("icd10pcs", packaged_pcs(), acting_user=None, only=TEST_PCS_TABLES)
    yield


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
