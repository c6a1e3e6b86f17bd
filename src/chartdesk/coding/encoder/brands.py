"""Brand names to generic substances, so that "Tylenol overdose" reaches the Acetaminophen row.

The names come from the drug-named-entity-recognition package (Fast Data Science, MIT licence),
which ships a dictionary of drug name variants (brand names and synonyms) mapped to their
canonical generic names, built from DrugBank's open vocabulary, MeSH, MedlinePlus, the NHS and
Wikipedia. Only its data file is read (the package's own finder would also reach out to web
services); it is loaded once, on first use.
"""

from __future__ import annotations

import bz2
import importlib.util
import pickle
import threading
from pathlib import Path

_VARIANTS: dict[str, list[str]] | None = None
_LOCK = threading.Lock()
DATA_FILE = "drug_ner_dictionary.pkl.bz2"


def _variants() -> dict[str, list[str]]:
    global _VARIANTS
    if _VARIANTS is None:
        with _LOCK:
            if _VARIANTS is None:
                # find_spec locates the package without importing it: its import builds its own
                # finder from the same file, which takes seconds and is not needed here.
                spec = importlib.util.find_spec("drug_named_entity_recognition")
                if spec is None or not spec.submodule_search_locations:
                    raise FileNotFoundError("the drug-named-entity-recognition package is not installed")
                path = Path(next(iter(spec.submodule_search_locations))) / DATA_FILE
                with bz2.open(path) as stream:
                    # The package's own data file, installed from PyPI with it (pinned in pyproject).
                    dictionary = pickle.load(stream)  # noqa: S301
                _VARIANTS = {
                    variant: [name for name in names if name != variant]
                    for variant, names in dictionary["drug_variant_to_canonical"].items()
                }
    return _VARIANTS


def generic_names(word: str) -> list[str]:
    """'tylenol' -> ['acetaminophen']; a generic name or an unknown word -> []."""
    return _variants().get(word.lower(), [])[:3]
