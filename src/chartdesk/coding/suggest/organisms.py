"""The organism of an infection (I.C.1.b; B95-B97 "use additional code"): an infection whose
category does not name its organism ("cellulitis", "urinary tract infection", "pyelonephritis")
takes B95-B96 for the organism the note documents ("MRSA cellulitis", "urine grew E. coli").

The organism is read from the diagnostic statement and the history (hospital course, present
illness), not negated; the infection must be one the engine codes for the note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Most specific first: "methicillin-resistant staphylococcus aureus" before "staphylococcus".
NAMES = (
    ("B95.62", r"\bMRSA\b|\bmethicillin[- ]resistant\s+staph(?:ylococcus|ylococcal)?(?:\s+aureus)?"),
    ("B95.61", r"\bMSSA\b|\bmethicillin[- ]s(?:usceptible|ensitive)\s+staph(?:ylococcus)?(?:\s+aureus)?|"
               r"\bstaph(?:ylococcus|\.)?\s+aureus\b"),
    ("B95.0", r"\bgroup\s+A\s+strep(?:tococcus|tococcal)?\b|\bstreptococcus\s+pyogenes\b"),
    ("B95.1", r"\bgroup\s+B\s+strep(?:tococcus|tococcal)?\b|\bstreptococcus\s+agalactiae\b"),
    ("B95.2", r"\benterococc(?:us|i|al)\b"),
    ("B95.3", r"\bstrep(?:tococcus|\.)?\s+pneumoniae\b|\bpneumococc(?:us|al)\b"),
    ("B95.7", r"\bcoagulase[- ]negative\s+staph(?:ylococcus|ylococci)?\b|\bstaph(?:ylococcus)?\s+epidermidis\b"),
    ("B95.8", r"\bstaph(?:ylococcus|ylococcal|ylococci)?\b(?!\s+aureus)"),
    ("B95.5", r"\bstrep(?:tococcus|tococcal|tococci)?\b"),
    ("B96.20", r"\bE\.?\s?coli\b|\bescherichia\s+coli\b"),
    ("B96.1", r"\bklebsiella(?:\s+pneumoniae)?\b"),
    ("B96.3", r"\bH\.?\s?influenzae\b|\bhaemophilus\s+influenzae\b|\bhemophilus\s+influenzae\b"),
    ("B96.4", r"\bproteus(?:\s+mirabilis)?\b"),
    ("B96.5", r"\bpseudomonas(?:\s+aeruginosa)?\b"),
    ("B96.0", r"\bmycoplasma\s+pneumoniae\b"),
    ("B96.6", r"\bbacteroides\s+fragilis\b"),
    ("B96.7", r"\bclostridium\s+perfringens\b"),
)
ORGANISMS = tuple((code, re.compile(pattern, re.IGNORECASE)) for code, pattern in NAMES)
# Infections whose codes do not say the organism, and whose tabular notes ask for B95-B97.
NEEDS_ORGANISM = ("N39.0", "L0", "N30", "N10", "N11", "N12", "N34", "N41", "N45", "N70", "N71", "N72", "N73",
                  "N75", "N76", "J01", "J32", "H66", "H70", "K65", "K81", "K61", "M86", "M46.2", "M46.3", "I33",
                  "I40", "T81.4", "T82.7", "T83.5", "T84.5", "T85.7", "H60", "L98.4")


@dataclass(frozen=True, slots=True)
class OrganismFound:
    code: str
    start: int
    end: int


def needs_organism(code: str) -> bool:
    return code.startswith(NEEDS_ORGANISM)


def organisms_in(text: str, start: int, end: int) -> list[OrganismFound]:
    """Each organism named in text[start:end], the most specific name winning where names overlap."""
    found: list[OrganismFound] = []
    taken: list[tuple[int, int]] = []
    for code, pattern in ORGANISMS:
        for match in pattern.finditer(text, start, end):
            if any(match.start() < right and left < match.end() for left, right in taken):
                continue
            taken.append((match.start(), match.end()))
            found.append(OrganismFound(code, match.start(), match.end()))
    return sorted(found, key=lambda item: item.start)
