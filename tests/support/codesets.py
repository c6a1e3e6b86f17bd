"""Real code-set content for the whole suite, loaded once per test session.

The full ICD-10-CM takes tens of seconds to load, too slow per test. Instead each session loads a
real subset of the official tabular XML (the categories below, with their blocks, chapters, notes
and 7th characters, exactly as the full load stores them) and a few real ICD-10-PCS tables into the
test database before any test runs; each test then runs in its own transaction on top.

Every test sees the same code sets, whichever folder it is in: the coding validator reads them, and
billing's scrubber runs that validator, so a suite where only some workers had them loaded would
pass or fail by the order tests ran in.
"""

from __future__ import annotations

CODING_CATEGORIES = (
    "E08", "E09", "E10", "E11", "E13", "E85", "E66", "E78",  # diabetes and its Excludes1 partners, amyloidosis
    "G63", "G30", "F02", "G20", "G35",  # manifestations and their etiologies
    "S72", "S01", "S06", "S62",  # 7th characters, placeholder X, the S06 exception
    "O80", "O24", "O09", "P07", "P70", "Z37", "Z3A",  # maternity and newborn
    "N40", "N39", "N18", "N17", "I10", "I12", "I21", "I25", "I48", "I50", "J44", "J18", "J45",
    "R07", "R50", "R05", "Z79", "Z87",
    "L89",  # pressure ulcers: a hospital-acquired condition when not present on admission (MS-DRG HAC)
)
# What the Alphabetic Index and table extracts of tests/coding/test_index_*.py point at: neoplasms
# by site and behaviour, poisonings by substance and intent, external causes, history codes.
INDEX_CATEGORIES = ("C18", "C22", "C50", "C78", "C79", "D01", "D05", "D12", "D13", "D24", "D37", "D48", "D49",
                    "Z85", "T38", "T39", "T42", "T50", "W11", "W54", "J15")
# The diagnoses the billing tests, the billing demo and the training claims exercises put on claims.
BILLING_CATEGORIES = ("D51", "E53", "F41", "G47", "J06", "J20", "K21", "L30", "M25", "M54", "R10", "R51", "Z00")
TEST_CATEGORIES = CODING_CATEGORIES + BILLING_CATEGORIES + INDEX_CATEGORIES
TEST_PCS_TABLES = ("0DT", "0SR", "02H")


def load_test_code_sets() -> None:
    from chartdesk.coding.actions import do_load_code_set
    from chartdesk.coding.codesets.icd10cm import packaged_tabular
    from chartdesk.coding.codesets.icd10pcs import packaged_pcs

    do_load_code_set("icd10cm", packaged_tabular(), acting_user=None, only=TEST_CATEGORIES)
    do_load_code_set("icd10pcs", packaged_pcs(), acting_user=None, only=TEST_PCS_TABLES)
