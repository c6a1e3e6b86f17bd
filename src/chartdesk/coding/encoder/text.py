"""Words as the encoder compares them: lower case, no stop words, plurals folded, abbreviations expanded.

The abbreviation table is what coders and clinicians actually write on problem lists and in
orders; each expands to the words the tabular list uses, so "DM2" finds "Type 2 diabetes mellitus".
Phrase synonyms map lay or clinical wording onto the classification's wording.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[a-z0-9]+")
STOP_WORDS = frozenset("a an and as at by for from in into is of on or the to with".split())
# Words that mark the default ("unspecified") code: a title carrying them is not less specific
# for the coder's purpose, so they cost little when the query does not name them.
NEUTRAL_WORDS = frozenset(
    "unspecified nos complication type site initial encounter part elsewhere classified not organism "
    "trimester episode laterality side region ear eye".split()
)
# "without ..." names the uncomplicated default (E11.9 "without complications"): nearly free.
DEFAULT_WORDS = frozenset(["without", "uncomplicated"])
PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
WITHOUT_CLAUSE = re.compile(r"\bwithout ([^,;]*?)(?=,|;| with |$)", re.IGNORECASE)

ABBREVIATIONS: dict[str, str] = {
    "aaa": "abdominal aortic aneurysm",
    "afib": "atrial fibrillation",
    "af": "atrial fibrillation",
    "aki": "acute kidney failure",
    "arf": "acute kidney failure",
    "ams": "altered mental status",
    "bph": "benign prostatic hyperplasia",
    "cad": "atherosclerotic heart disease coronary artery",
    "chf": "congestive heart failure",
    "ckd": "chronic kidney disease",
    "copd": "chronic obstructive pulmonary disease",
    "cva": "cerebral infarction",
    "dvt": "deep vein thrombosis",
    "dm": "diabetes mellitus",
    "dm1": "type 1 diabetes mellitus",
    "dm2": "type 2 diabetes mellitus",
    "t1dm": "type 1 diabetes mellitus",
    "t2dm": "type 2 diabetes mellitus",
    "iddm": "type 1 diabetes mellitus",
    "niddm": "type 2 diabetes mellitus",
    "dka": "diabetic ketoacidosis",
    "esrd": "end stage renal disease",
    "gerd": "gastro esophageal reflux disease",
    "gi": "gastrointestinal",
    "hld": "hyperlipidemia",
    "htn": "hypertension",
    "hf": "heart failure",
    "hfref": "systolic heart failure",
    "hfpef": "diastolic heart failure",
    "ibs": "irritable bowel syndrome",
    "mi": "myocardial infarction",
    "stemi": "st elevation myocardial infarction",
    "nstemi": "non st elevation myocardial infarction",
    "ms": "multiple sclerosis",
    "oa": "osteoarthritis",
    "osa": "obstructive sleep apnea",
    "pe": "pulmonary embolism",
    "pna": "pneumonia",
    "pud": "peptic ulcer",
    "pvd": "peripheral vascular disease",
    "ra": "rheumatoid arthritis",
    "sob": "shortness of breath",
    "tia": "transient cerebral ischemic attack",
    "uri": "acute upper respiratory infection",
    "uti": "urinary tract infection",
    "cp": "chest pain",
    "ha": "headache",
    "n/v": "nausea vomiting",
    "nv": "nausea vomiting",
    "abd": "abdominal",
    "fx": "fracture",
    "hx": "history",
    "lbp": "low back pain",
    "bmi": "body mass index",
    "adhd": "attention deficit hyperactivity disorder",
    "ptsd": "post traumatic stress disorder",
    "mdd": "major depressive disorder",
    "gad": "generalized anxiety disorder",
    "hiv": "human immunodeficiency virus hiv disease",
    "mrsa": "methicillin resistant staphylococcus aureus",
    "mssa": "methicillin susceptible staphylococcus aureus",
    "mets": "secondary malignant neoplasm",
    "cabg": "aortocoronary bypass",
    "nsclc": "malignant neoplasm lung",
    "rsv": "respiratory syncytial virus",
    "ards": "acute respiratory distress syndrome",
    "sle": "systemic lupus erythematosus",
    "ibd": "inflammatory bowel disease",
    "hypothyroid": "hypothyroidism",
    "hyperthyroid": "hyperthyroidism",
    "lt": "left",
    "rt": "right",
    "bilat": "bilateral",
    "r": "right",
    "l": "left",
    "w": "with",
    "wo": "without",
    "w/o": "without",
    "ca": "malignant neoplasm",
    "mva": "motor vehicle accident",
    "ob": "pregnancy",
    "sz": "seizure",
    "etoh": "alcohol",
    "hypok": "hypokalemia",
    "anxiety": "anxiety disorder",
}

# Clinician shorthand written with a slash (the query splits it around the slash first). "r/o"
# (rule out) is dropped: the encoder looks up the condition; whether an uncertain diagnosis is
# coded at all is the coder's call by setting (inpatient yes, outpatient no).
SLASHED_SHORTHAND: tuple[tuple[str, str], ...] = (
    (" h / o ", " personal history of "),
    (" s / p ", " status post "),
    (" r / o ", " "),
    (" c / o ", " "),
)

PHRASE_SYNONYMS: tuple[tuple[str, str], ...] = (
    ("heart attack", "myocardial infarction"),
    ("high blood pressure", "hypertension"),
    ("high cholesterol", "hypercholesterolemia"),
    ("kidney failure", "kidney failure"),
    ("renal failure", "kidney failure"),
    ("kidney stone", "calculus of kidney"),
    ("stroke", "cerebral infarction"),
    ("cancer", "malignant neoplasm"),
    ("carcinoma", "malignant neoplasm"),
    ("hives", "urticaria"),
    ("strep throat", "streptococcal pharyngitis"),
    ("normal delivery", "full term uncomplicated delivery"),
    ("neck pain", "cervicalgia"),
    ("sugar diabetes", "diabetes mellitus"),
    ("low potassium", "hypokalemia"),
    ("low sodium", "hyponatremia"),
    ("blood clot", "thrombosis"),
    ("belly pain", "abdominal pain"),
    ("stomach pain", "abdominal pain"),
    ("broken", "fracture"),
    ("flu", "influenza"),
    ("pink eye", "conjunctivitis"),
    ("sore throat", "pharyngitis"),
    ("diabetic", "diabetes"),
    ("reflux", "gastro esophageal reflux"),
    ("afib", "atrial fibrillation"),
    ("a fib", "atrial fibrillation"),
    ("coronary artery disease", "atherosclerotic heart disease coronary artery"),
    ("end stage kidney disease", "end stage renal disease"),
)


# Adjective and noun forms the classification mixes ("Hypertensive chronic kidney disease" but
# "hypertension"); both the index and the query fold them to one word.
SAME_WORD = {
    "hypertensive": "hypertension",
    "diabetic": "diabetes",
    "diabetes": "diabetes",
    "renal": "kidney",
    "cardiac": "heart",
    "fractured": "fracture",
    "infected": "infection",
    "obese": "obesity",
    "anemic": "anemia",
    "septic": "sepsis",
    "asthmatic": "asthma",
    "lower": "low",
}


# ICD-10-PCS speaks in root operations and approaches, not in the surgeon's words.
PROCEDURE_SYNONYMS: tuple[tuple[str, str], ...] = (
    ("laparoscopic", "percutaneous endoscopic"),
    ("lap", "percutaneous endoscopic"),
    ("arthroscopic", "percutaneous endoscopic"),
    ("appendectomy", "resection appendix"),
    ("cholecystectomy", "resection gallbladder"),
    ("splenectomy", "resection spleen"),
    ("nephrectomy", "resection kidney"),
    ("hysterectomy", "resection uterus"),
    ("colectomy", "resection colon"),
    ("total knee replacement", "replacement knee joint"),
    ("tka", "replacement knee joint"),
    ("total hip replacement", "replacement hip joint"),
    ("tha", "replacement hip joint"),
    ("cabg", "bypass coronary artery"),
    ("pacemaker insertion", "insertion pacemaker"),
)


def fold(word: str) -> str:
    """A crude plural fold that both sides share: 'fractures' and 'fracture' compare equal."""
    if word in SAME_WORD:
        return SAME_WORD[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ys")):
        return word[:-1]
    return word


HYPHENATED = re.compile(r"\b([a-z]+)-([a-z]+)\b")


def index_words(text: str) -> list[str]:
    """The words of a title or inclusion term, as the index keeps them ('pre-eclampsia' also as one word)."""
    lowered = text.lower()
    words = [fold(word) for word in WORD.findall(lowered) if word not in STOP_WORDS]
    words.extend(fold(first + second) for first, second in HYPHENATED.findall(lowered))
    return words


def required_words(text: str) -> list[str]:
    """The words a title insists on: not the nonessential modifiers, which the tabular list puts in
    parentheses, and not what a 'without ...' clause names (that is the default, uncomplicated code)."""
    return index_words(WITHOUT_CLAUSE.sub(" ", PARENTHESES.sub(" ", text)))


def negated_words(text: str) -> list[str]:
    """'Nausea without vomiting' -> ['vomiting']: what the entry says is absent."""
    return [word for clause in WITHOUT_CLAUSE.findall(text) for word in index_words(clause)]


def query_words(text: str, *, procedures: bool = False) -> list[str]:
    """The words of what the coder typed, abbreviations and phrase synonyms expanded."""
    lowered = " " + " ".join(text.lower().replace("/", " / ").split()) + " "
    lowered = lowered.replace(" w / o ", " without ").replace(" n / v ", " nausea vomiting ")
    for shorthand, meaning in SLASHED_SHORTHAND:
        lowered = lowered.replace(shorthand, meaning)
    for phrase, replacement in (PROCEDURE_SYNONYMS + PHRASE_SYNONYMS if procedures else PHRASE_SYNONYMS):
        lowered = lowered.replace(f" {phrase} ", f" {replacement} ")
    words: list[str] = []
    for word in WORD.findall(lowered):
        expanded = ABBREVIATIONS.get(word)
        if expanded is not None:
            words.extend(WORD.findall(expanded))
        else:
            words.append(word)
    seen: set[str] = set()
    result = []
    for word in words:
        if word in STOP_WORDS:
            continue
        folded = fold(word)
        if folded not in seen:
            seen.add(folded)
            result.append(folded)
    return result
