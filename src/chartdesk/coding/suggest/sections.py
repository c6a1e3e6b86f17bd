"""The sections of a clinical note (chief complaint, past history, family history, review of systems,
assessment...), found from their upper-case headers, as dictated notes write them ("ASSESSMENT:",
"PAST MEDICAL HISTORY: ,", SOAP's "A:" or "A - ,")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

HEADER = re.compile(r"(?:^|(?<=[\n.,]))[ \t]*([A-Z][A-Z0-9 /&(),'-]*[A-Z)]|[SOAP])[ \t]*(?::|[ \t]-[ \t]*,)")


class SectionKind(StrEnum):
    DIAGNOSIS = "diagnosis"  # assessment, impression, final/discharge/postoperative diagnoses
    INITIAL_DIAGNOSIS = "initial-diagnosis"  # admitting or preoperative: superseded by a final one
    HISTORY = "history"  # chief complaint, present illness, hospital course
    PAST_HISTORY = "past-history"
    SURGICAL_HISTORY = "surgical-history"
    FAMILY_HISTORY = "family-history"
    SOCIAL_HISTORY = "social-history"
    REVIEW_OF_SYSTEMS = "review-of-systems"
    EXAM = "exam"
    RESULTS = "results"
    MEDICATIONS = "medications"
    ALLERGIES = "allergies"
    PLAN = "plan"
    PROCEDURE = "procedure"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    kind: SectionKind
    start: int  # where its text begins (after the heading)
    end: int


EXAM_WORDS = ("EXAM", "VITAL", "HEENT", "NECK", "CHEST", "LUNG", "HEART", "CARDIO", "ABDOMEN", "EXTREMIT",
              "NEURO", "SKIN", "GENERAL", "MUSCULO", "PSYCH", "CONSTITUTIONAL", "EYES", "EARS", "NOSE", "THROAT",
              "HEME", "LYMPH", "BREAST", "GENITO", "GASTRO", "RESPIRATORY", "ENDOCRINE", "INTEGUMENT", "RECTAL",
              "PELVIC", "BACK", "SPINE", "MENTAL STATUS", "OBJECTIVE", "FINDINGS", "HEAD", "GU", "GI", "CV")
RESULT_WORDS = ("DATA", "LAB", "RADIOLOG", "PATHOLOG", "TEST", "RESULT", "IMAGING", "EKG", "ECG", "X-RAY", "CT ",
                "MRI", "DIAGNOSTIC", "STUDIES")
# Preoperative, preprocedure, admitting: the statement a final one supersedes ("PREOP DIAGNOSIS",
# "PRE-OP DX", "PREPROCEDURE DIAGNOSIS", "DIAGNOSIS AT ADMISSION"). Postoperative, principal, final
# and discharge diagnoses are the final statement.
INITIAL_HEADING = re.compile(r"\bPRE[- ]?(?:OPERATIVE|OP|PROCEDURE|PROCEDURAL)\b.*\b(?:DIAGNOS|DX\b)|"
                             r"\bADMI(?:SSION|TTING)\s+DIAGNOS|\bDIAGNOS[EI]S\s+(?:AT|ON)\s+ADMISSION")
# The reason for the encounter or the test ("REASON FOR EXAM", "INDICATION") is read as history: its
# symptoms are coded when the study's impression finds nothing to code (engine.py).
HISTORY_WORDS = ("PRESENT", "HPI", "COMPLAINT", "REASON", "HISTORY", "COURSE", "SUMMARY", "SUBJECTIVE", "CC")


def kind_of(heading: str) -> SectionKind:  # noqa: C901 - one ordered table of rules reads best as one function
    words = heading.upper().strip()
    if words in {"S", "SUBJECTIVE"}:
        return SectionKind.HISTORY
    if words in {"O", "OBJECTIVE"}:
        return SectionKind.EXAM
    if words == "A":
        return SectionKind.DIAGNOSIS
    if words == "P":
        return SectionKind.PLAN
    if "FAMILY" in words and any(other in words for other in ("SOCIAL", "PAST", "MEDICAL")):
        return SectionKind.OTHER
    if "FAMILY" in words or words == "FH":
        return SectionKind.FAMILY_HISTORY
    if "SOCIAL" in words or words in {"SH", "SOCH"}:
        return SectionKind.SOCIAL_HISTORY
    if "SURGICAL" in words or words == "PSH" or "PREVIOUS SURGER" in words:
        return SectionKind.SURGICAL_HISTORY
    if "REVIEW OF SYSTEMS" in words or words.startswith("ROS"):
        return SectionKind.REVIEW_OF_SYSTEMS
    if any(part in words for part in ("PAST MEDICAL", "MEDICAL HISTORY", "PAST HISTORY", "PMH")):
        return SectionKind.PAST_HISTORY
    if "MEDICATION" in words or "MEDS" in words or "PRESCRIPTION" in words or words in {"RX", "DISPENSE"}:
        return SectionKind.MEDICATIONS  # drug names read as conditions otherwise ("Lotrimin AF")
    if "ALLERG" in words:
        return SectionKind.ALLERGIES
    if any(part in words for part in RESULT_WORDS):
        return SectionKind.RESULTS
    if "FINDINGS" in words and not any(part in words for part in ("IMPRESSION", "DIAGNOS")):
        return SectionKind.EXAM  # "CLINICAL ASSESSMENT AND FINDINGS" is the examination, not its conclusion
    if INITIAL_HEADING.search(words):
        return SectionKind.INITIAL_DIAGNOSIS
    if any(part in words for part in ("DIAGNOS", "ASSESSMENT", "IMPRESSION", "PROBLEM", "A/P")) or \
            re.search(r"\b(?:POST[- ]?OP|PRE[- ]?OP)\w*\s+DX\b|^DX\b", words):
        return SectionKind.DIAGNOSIS
    if any(part in words for part in ("PROCEDURE", "OPERATION")):
        return SectionKind.PROCEDURE
    if any(part in words for part in ("PLAN", "RECOMMENDATION", "TREATMENT", "DISPOSITION", "FOLLOW",
                                      "INSTRUCTION", "CONSULT")):
        return SectionKind.PLAN
    if any(part in words.split() for part in EXAM_WORDS) or any(part in words for part in EXAM_WORDS[:4]) or \
            any(word.startswith(part) for word in words.split() for part in EXAM_WORDS if len(part) >= 4):
        return SectionKind.EXAM  # "LUNGS", "EXTREMITIES" as well as "LUNG", "EXTREMITY"
    if any(part in words for part in HISTORY_WORDS) or "INDICATION" in words:
        return SectionKind.HISTORY
    return SectionKind.OTHER


def split_sections(text: str) -> list[Section]:
    """The note cut at each header; text before the first header is an OTHER section."""
    sections: list[Section] = []
    heading, kind, start = "", SectionKind.OTHER, 0
    for match in HEADER.finditer(text):
        found = match.group(1)
        header_start = match.start(1)
        last = found.rsplit(",", 1)[-1]
        statement = (SectionKind.DIAGNOSIS, SectionKind.INITIAL_DIAGNOSIS)
        if "," in found and (any(len(part.strip()) < 5 for part in found.split(",")) or (
                kind_of(last.strip()) != SectionKind.OTHER
                and not (kind_of(found) in statement and kind_of(last.strip()) not in statement))):
            # "PMH: , DM, HTN, COPD, CAD,PSH:" - the list belongs to PMH; only the last part is a header.
            # "DOBUTAMINE STRESS ECHOCARDIOGRAM,REASON FOR EXAM:" - a title, then the header.
            header_start = match.end(1) - len(last)
            found = last
        if header_start > start or sections or heading:
            sections.append(Section(heading, kind, start, header_start))
        heading = found.strip(" ,")
        kind = kind_of(heading)
        start = match.end()
    sections.append(Section(heading, kind, start, len(text)))
    return [section for section in sections if section.end > section.start or section.heading]
