"""Sex, age and present-on-admission rules that the tabular XML does not carry as data.

Each rule names its source, and the source is stored on every code it touches (`limit_source`), so
a coder who sees "female only" can tell where it came from. The tables are deliberately small and
explicit: a rule we cannot source is left out rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    sex: str = ""
    age_min: int | None = None
    age_max: int | None = None
    source: str = ""


MATERNITY = Limit(
    sex="F",
    age_min=12,
    age_max=55,
    source="CMS Medicare Code Editor: maternity diagnoses (chapter 15, O00-O9A) for ages 12 to 55, female",
)
NEWBORN = Limit(
    age_min=0,
    age_max=0,
    source=(
        "CMS Medicare Code Editor: newborn diagnoses (chapter 16, P00-P96) for age 0; the chapter's own note "
        "says they are for newborn records only"
    ),
)


def block_sex(block_title: str) -> str:
    """'Diseases of male genital organs (N40-N53)' -> 'M'; a block whose title names one sex."""
    words = block_title.lower().replace("(", " ").split()
    if "female" in words:
        return "F"
    if "male" in words:
        return "M"
    return ""


def limit_for(category: str, block_title: str) -> Limit:
    if category.startswith("O"):
        return MATERNITY
    if category.startswith("P"):
        return NEWBORN
    sex = block_sex(block_title)
    if sex:
        return Limit(sex=sex, source=f"tabular list block '{block_title}' names one sex")
    return Limit()


# Present-on-admission exempt codes: categories and codes from the ICD-10-CM Official Guidelines,
# Appendix I ("Categories and Codes Exempt from Diagnosis Present on Admission Requirement").
# This is the list's main categories, matched as prefixes; codes not listed are not exempt.
POA_EXEMPT_PREFIXES: tuple[str, ...] = (
    "B90", "B91", "B92", "B93", "B94",  # sequelae of infectious and parasitic diseases
    "E64",  # sequelae of malnutrition
    "I252",  # old myocardial infarction
    "I69",  # sequelae of cerebrovascular disease
    "O09",  # supervision of high-risk pregnancy
    "O665",  # attempted application of vacuum extractor and forceps
    "O80",  # encounter for full-term uncomplicated delivery
    "O94",  # sequelae of complication of pregnancy, childbirth and the puerperium
    "P00",  # newborn affected by maternal conditions
    "Q00", "Q01", "Q02", "Q03", "Q04", "Q05", "Q06", "Q07",  # congenital malformations (Q00-Q99)
    "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8", "Q9",
    "Y92",  # place of occurrence
    "Y93",  # activity
    "Y99",  # external cause status
    "Z00", "Z01", "Z02", "Z03", "Z08", "Z09",  # encounters for examination and follow-up
    "Z11", "Z12", "Z13",  # screening
    "Z14", "Z15",  # genetic carrier and susceptibility
    "Z17", "Z18",  # estrogen receptor status, retained foreign body fragments
    "Z22",  # carrier of infectious disease
    "Z28",  # immunization not carried out
    "Z30", "Z31", "Z32", "Z33", "Z34", "Z36", "Z37", "Z38", "Z39",  # reproduction, delivery, liveborn
    "Z3A",  # weeks of gestation
    "Z41", "Z42",  # procedures for purposes other than remedying health state
    "Z51",  # encounter for other aftercare and medical care
    "Z63", "Z64", "Z65",  # psychosocial circumstances
    "Z67", "Z68",  # blood type, body mass index
    "Z76",  # persons encountering health services in other circumstances
    "Z77", "Z78", "Z79",  # hazards, other specified health status, long-term drug therapy
    "Z80", "Z81", "Z82", "Z83", "Z84",  # family history
    "Z85", "Z86", "Z87", "Z88",  # personal history
    "Z89", "Z90",  # acquired absence
    "Z91", "Z92", "Z93", "Z94", "Z95", "Z97", "Z98", "Z99",  # status codes
)
POA_EXEMPT_SOURCE = "ICD-10-CM Official Guidelines, Appendix I (POA-exempt categories)"


def poa_exempt(code: str) -> bool:
    """Whether a code (no dot) is exempt from present-on-admission reporting."""
    if code.startswith(("V", "W", "X")) or (code.startswith("Y") and code[:3] <= "Y38"):
        # External-cause codes V00-Y38 are on the exempt list for the most part.
        return True
    return code.startswith(POA_EXEMPT_PREFIXES)
