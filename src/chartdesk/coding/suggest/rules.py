"""The coding rules applied across a note's candidates: combination codes and specificity, chronic
conditions, and codes that cannot fit the patient's sex or age."""

from __future__ import annotations

from chartdesk.coding.suggest.lexicon import LexiconEntry
from chartdesk.coding.suggest.results import Candidate
from chartdesk.coding.suggest.tabular import load_tabular

# Conditions treated on an ongoing basis: coded when the past history lists them (guideline IV.J).
CHRONIC_PREFIXES = (
    "E10", "E11", "E03", "E05", "E66", "E78", "I10", "I11", "I12", "I13", "I25", "I48", "I50", "I42", "I35", "I34",
    "J44", "J45", "J84", "J30", "G47.3", "G40", "G35", "G30", "G20", "G89.4", "F0", "F2", "F3", "F41", "F42", "F84",
    "F90", "F17", "F10.2", "K21", "K58", "K70", "K74", "N18", "N40", "M05", "M06", "M15", "M16", "M17", "M19",
    "M81", "M10", "L40", "D50", "D47", "B20",
)
FEMALE_ONLY = ("O", "N7", "N8", "N9", "C51", "C52", "C53", "C54", "C55", "C56", "C57", "C58", "D25", "D26", "D27",
               "Z34", "Z3A", "Z85.40", "Z85.41", "Z85.42", "Z85.43", "Z85.44")
MALE_ONLY = ("N40", "N41", "N42", "N43", "N44", "N45", "N46", "N47", "N48", "N49", "N50", "N51", "N52", "N53", "C60",
             "C61", "C62", "C63", "Z85.46", "Z85.47")
# A relative's sex-specific cancer fits a patient of either sex.
ANY_SEX = ("Z80.41", "Z80.42", "Z80.43", "Z80.49")


CKD_STAGES = {"1": "N18.1", "2": "N18.2", "3": "N18.30", "3a": "N18.31", "3b": "N18.32", "4": "N18.4",
              "5": "N18.5"}
KIDNEY_DISEASE = frozenset({"N18.9", "E11.22", "E10.22"})
EXACERBATED = {"J44.9": "J44.1", "J45.909": "J45.901"}


def refine(found: list[tuple[int, int, LexiconEntry]], words: list[str]) -> list[tuple[int, int, LexiconEntry]]:
    """Modifiers written apart from the condition: "chronic kidney disease, stage 3a" (the stage
    adds its N18 code, evidence running to the stage), "acute exacerbation of COPD" (J44.1)."""
    refined = []
    for start, end, entry in found:
        if entry.code in KIDNEY_DISEASE:
            window = words[end:end + 4]
            if "stage" in window:
                at = end + window.index("stage") + 1
                stage = CKD_STAGES.get(words[at]) if at < len(words) else None
                if stage and entry.code == "N18.9":
                    refined.append((start, at + 1, LexiconEntry(stage, entry.source, True)))
                    continue
                if stage:
                    refined.append((start, at + 1, LexiconEntry(stage, entry.source, True)))
        if entry.code in EXACERBATED and "exacerbation" in words:
            entry = LexiconEntry(EXACERBATED[entry.code], entry.source, entry.chronic, entry.without_diabetes)
        refined.append((start, end, entry))
    return refined


def is_substance_use_only(code: str) -> bool:
    """F10.9- to F19.9- ("use") are coded only when the provider links the use to a disorder."""
    return code[:2] == "F1" and code[4:5] == "9" and code[1:3] != "17"


# Two findings the classification codes as one (R11.2 "nausea with vomiting", R16.2 "hepatomegaly
# with splenomegaly"): (first, second) -> the combination code.
COMBINED_FINDINGS = {("R11.0", "R11.10"): "R11.2", ("R16.0", "R16.1"): "R16.2"}


def combine_symptoms(candidates: list[Candidate]) -> list[Candidate]:
    """Nausea with vomiting has its own code (R11.2) in place of R11.0 and R11.10; hepatomegaly with
    splenomegaly R16.2 in place of R16.0 and R16.1."""
    for (first_code, second_code), combined in COMBINED_FINDINGS.items():
        first = next((candidate for candidate in candidates if candidate.code == first_code), None)
        second = next((candidate for candidate in candidates if candidate.code == second_code), None)
        if first is None or second is None:
            continue
        first.code = combined
        first.evidence = list(first.evidence) + list(second.evidence)
        candidates = [candidate for candidate in candidates if candidate is not second]
    return candidates


def is_chronic(code: str) -> bool:
    return code.startswith(CHRONIC_PREFIXES)


def fits_patient(code: str, sex: str | None, age: int | None) -> bool:
    """False for a code the patient's sex or age rules out (an O-code on a man, a newborn code on an adult)."""
    if code.startswith(ANY_SEX):
        return True
    if sex == "M" and code.startswith(FEMALE_ONLY):
        return False
    if sex == "F" and code.startswith(MALE_ONLY):
        return False
    if age is not None and age > 1 and code.startswith(("P", "Z38")):
        return False
    return not (age is not None and age < 12 and code.startswith("O"))


def vagueness(code: str) -> int:
    title = load_tabular().title(code).lower()
    return title.count("unspecified") + 2 * ("without complications" in title)


def drop_less_specific(candidates: list[Candidate]) -> list[Candidate]:
    """Within one category, drop a code that is vaguer than another supported code of that category:
    I50.9 beside I50.22, E11.9 beside E11.40, J45.909 beside J45.20."""
    by_category: dict[str, int] = {}
    for candidate in candidates:
        level = vagueness(candidate.code)
        category = candidate.code[:3]
        by_category[category] = min(level, by_category.get(category, level))
    return [candidate for candidate in candidates if vagueness(candidate.code) <= by_category[candidate.code[:3]]]


def combine_diabetes(candidates: list[Candidate], with_table: dict[str, str]) -> list[Candidate]:
    """Diabetes type from the note (type 1 where it says so, else type 2: the index default), and the
    diabetic CKD code when CKD is documented with diabetes ("with" presumes the link)."""
    tabular = load_tabular()
    type_one = any(candidate.code.startswith("E10") for candidate in candidates)
    diabetes = [candidate for candidate in candidates if candidate.code.startswith(("E10", "E11"))]
    result = list(candidates)
    for candidate in candidates:
        combination = with_table.get(candidate.code)
        if combination and not candidate.code.startswith("E1") and diabetes:
            evidence = [item for source in diabetes for item in source.evidence] + list(candidate.evidence)
            result.append(Candidate(combination, min(candidate.confidence, diabetes[0].confidence), evidence,
                                    candidate.section, set(candidate.flags)))
    if type_one:
        for candidate in result:
            as_type_one = "E10" + candidate.code[3:]
            if candidate.code.startswith("E11") and tabular.is_billable(as_type_one):
                candidate.code = as_type_one
    return merge_same_code(result)


def combine_hypertension(candidates: list[Candidate]) -> list[Candidate]:
    """Hypertension with heart failure and/or chronic kidney disease takes I11/I12/I13 in place of I10."""
    hypertension = next((candidate for candidate in candidates if candidate.code == "I10"), None)
    if hypertension is None:
        return candidates
    failure = [candidate for candidate in candidates if candidate.code.startswith("I50")]
    kidney = [candidate for candidate in candidates if candidate.code.startswith("N18")]
    late_stage = any(candidate.code in ("N18.5", "N18.6") for candidate in kidney)
    if failure and kidney:
        hypertension.code = "I13.2" if late_stage else "I13.0"
    elif failure:
        hypertension.code = "I11.0"
    elif kidney:
        hypertension.code = "I12.0" if late_stage else "I12.9"
    else:
        return candidates
    combined = [item for other in failure + kidney for item in other.evidence]
    hypertension.evidence = list(hypertension.evidence) + combined
    return merge_same_code(candidates)


def merge_same_code(candidates: list[Candidate]) -> list[Candidate]:
    merged: dict[str, Candidate] = {}
    for candidate in candidates:
        current = merged.get(candidate.code)
        if current is None:
            merged[candidate.code] = candidate
        else:
            current.evidence = list(current.evidence) + list(candidate.evidence)
            current.flags |= candidate.flags
            current.confidence = max(current.confidence, candidate.confidence)
    return list(merged.values())
