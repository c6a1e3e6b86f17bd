"""Synthetic clinic and discharge notes for the suggestion evaluation, each with the codes a careful
coder assigns. Every phrase below was written and labelled by hand, before the suggestion engine
existed, from the ICD-10-CM index and tabular and the official guidelines (Section IV for
outpatient uncertainty, Section II.H/III.C for inpatient). The generator only picks and arranges
the labelled phrases; it never looks at what the engine suggests.

How a note's labels follow from its phrases (the coder's rules, applied the same way by hand):
- a stated current condition: its code;
- a negated one ("denies", "no evidence of", "negative for"): nothing;
- an uncertain one ("probable", "rule out", "suspected"): outpatient, the documented symptoms
  instead; inpatient, the condition as if established;
- "history of" a resolved condition: its personal-history code (Z85, Z86, Z87, I25.2);
- a relative's condition: its family-history code (Z80-Z84);
- hypertension with heart failure or chronic kidney disease: the combination codes I11.0, I12.9,
  I13.0 take the place of I10 (the guidelines presume the link); the heart failure and CKD stage
  keep their own codes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Condition:
    key: str
    codes: tuple[str, ...]
    phrases: tuple[str, ...]
    # Symptoms documented in the history when the condition is only suspected (outpatient codes these).
    symptom_text: str = ""
    symptom_codes: tuple[str, ...] = ()
    suspect_name: str = ""
    sex: str | None = None
    inpatient_only: bool = False
    tags: frozenset[str] = field(default_factory=frozenset)


def condition(key: str, codes: str, *phrases: str, symptom_text: str = "", symptom_codes: str = "",
              suspect_name: str = "", sex: str | None = None, inpatient_only: bool = False,
              tags: str = "") -> Condition:
    return Condition(key, tuple(codes.split()), phrases, symptom_text, tuple(symptom_codes.split()),
                     suspect_name, sex, inpatient_only, frozenset(tags.split()))


CONDITIONS: tuple[Condition, ...] = (
    condition("htn", "I10", "Essential hypertension, controlled on lisinopril.",
              "Hypertension, blood pressure at goal.", "HTN - continue amlodipine 5 mg daily.", tags="htn chronic"),
    condition("dm2", "E11.9", "Type 2 diabetes mellitus without complications, A1c 6.9%.",
              "DM2, diet controlled.", "Diabetes mellitus type 2, stable on metformin.", tags="dm chronic"),
    condition("dm2_neuro", "E11.40", "Type 2 diabetes mellitus with diabetic neuropathy.",
              "Type II diabetes complicated by neuropathy, on gabapentin.", tags="dm chronic"),
    condition("dm2_poly", "E11.42", "Type 2 diabetes with diabetic polyneuropathy of both feet.",
              "Diabetic peripheral polyneuropathy due to type 2 diabetes.", tags="dm chronic"),
    condition("dm2_hyper", "E11.65", "Type 2 diabetes mellitus with hyperglycemia, A1c 9.8%.",
              "Poorly controlled type 2 diabetes with hyperglycemia.", tags="dm chronic"),
    condition("dm2_ckd", "E11.22 N18.31", "Type 2 diabetes with diabetic chronic kidney disease, stage 3a.",
              tags="dm ckd chronic"),
    condition("dm1", "E10.9", "Type 1 diabetes mellitus on insulin pump, no complications.", tags="dm chronic"),
    condition("hld", "E78.5", "Hyperlipidemia, continue atorvastatin.", "Hyperlipidemia.", tags="chronic"),
    condition("hchol", "E78.00", "Pure hypercholesterolemia, LDL 162.", tags="chronic"),
    condition("copd_ex", "J44.1", "COPD with acute exacerbation.",
              "Acute exacerbation of chronic obstructive pulmonary disease.", tags="lung"),
    condition("copd", "J44.9", "COPD, stable on tiotropium.", "Chronic obstructive pulmonary disease.",
              tags="lung chronic"),
    condition("asthma_mild", "J45.20", "Mild intermittent asthma, uncomplicated.", tags="lung chronic"),
    condition("asthma", "J45.909", "Asthma, well controlled with albuterol as needed.", tags="lung chronic"),
    condition("pna", "J18.9", "Community-acquired pneumonia.", "Pneumonia of the left lower lobe.",
              symptom_text="She reports productive cough and fever to 101.4 for three days.",
              symptom_codes="R05.9 R50.9", suspect_name="pneumonia"),
    condition("uti", "N39.0", "Urinary tract infection.", "UTI, started nitrofurantoin.",
              symptom_text="She has had dysuria for two days.", symptom_codes="R30.0",
              suspect_name="urinary tract infection", sex="F"),
    condition("cystitis", "N30.00", "Acute cystitis without hematuria.", sex="F"),
    condition("afib", "I48.91", "Atrial fibrillation, rate controlled on metoprolol.", tags="chronic"),
    condition("pafib", "I48.0", "Paroxysmal atrial fibrillation.", tags="chronic"),
    condition("chf_sys", "I50.22", "Chronic systolic congestive heart failure, EF 30%.", tags="hf chronic"),
    condition("chf_dia", "I50.32", "Chronic diastolic heart failure.", tags="hf chronic"),
    condition("ckd4", "N18.4", "Chronic kidney disease stage 4.", tags="ckd chronic"),
    condition("ckd3b", "N18.32", "CKD stage 3b, creatinine stable.", tags="ckd chronic"),
    condition("hypothyroid", "E03.9", "Hypothyroidism, continue levothyroxine.", "Hypothyroidism.", tags="chronic"),
    condition("gerd", "K21.9", "Gastroesophageal reflux disease.", "GERD, symptoms controlled on omeprazole.",
              symptom_text="He complains of heartburn after meals.", symptom_codes="R12",
              suspect_name="gastroesophageal reflux", tags="chronic"),
    condition("depression", "F32.A", "Depression, stable on sertraline.", tags="chronic"),
    condition("mdd_mod", "F32.1", "Major depressive disorder, single episode, moderate.", tags="chronic"),
    condition("mdd_rec", "F33.0", "Major depressive disorder, recurrent, mild.", tags="chronic"),
    condition("gad", "F41.1", "Generalized anxiety disorder.", tags="chronic"),
    condition("anxiety", "F41.9", "Anxiety, managed with counseling.", tags="chronic"),
    condition("lbp", "M54.50", "Low back pain.", "Acute low back pain without sciatica."),
    condition("oa_rknee", "M17.11", "Primary osteoarthritis of the right knee."),
    condition("oa_knees", "M17.0", "Bilateral primary osteoarthritis of the knees."),
    condition("migraine", "G43.909", "Migraine, continue sumatriptan as needed.",
              symptom_text="She describes a throbbing headache since yesterday.", symptom_codes="R51.9",
              suspect_name="migraine"),
    condition("migraine_noaura", "G43.009", "Migraine without aura."),
    condition("uri", "J06.9", "Acute upper respiratory infection.", "Viral upper respiratory infection."),
    condition("pharyngitis", "J02.9", "Acute pharyngitis."),
    condition("strep", "J02.0", "Streptococcal pharyngitis, rapid strep positive."),
    condition("om_left", "H66.92", "Acute otitis media, left ear."),
    condition("sinusitis", "J01.90", "Acute sinusitis."),
    condition("max_sinusitis", "J01.00", "Acute maxillary sinusitis."),
    condition("cellulitis_rll", "L03.115", "Cellulitis of the right lower leg."),
    condition("ida", "D50.9", "Iron deficiency anemia.", tags="chronic"),
    condition("anemia", "D64.9", "Anemia, hemoglobin 10.1.", tags="chronic"),
    condition("vitd", "E55.9", "Vitamin D deficiency."),
    condition("obesity", "E66.9", "Obesity.", tags="chronic"),
    condition("morbid_obesity", "E66.01", "Morbid obesity due to excess calories.", tags="chronic"),
    condition("osa", "G47.33", "Obstructive sleep apnea on CPAP.", tags="chronic"),
    condition("ibs", "K58.9", "Irritable bowel syndrome."),
    condition("cad", "I25.10", "Coronary artery disease of native coronary artery without angina.",
              "CAD, stable, no angina.", tags="chronic"),
    condition("bph", "N40.0", "Benign prostatic hyperplasia without urinary symptoms.", sex="M", tags="chronic"),
    condition("stroke", "I63.9", "Acute ischemic stroke.", "Cerebral infarction.", inpatient_only=True),
    condition("nstemi", "I21.4", "Non-ST elevation myocardial infarction.", "NSTEMI.", inpatient_only=True),
    condition("sepsis", "A41.9", "Sepsis, unspecified organism.", inpatient_only=True),
    condition("aki", "N17.9", "Acute kidney injury.", "AKI, resolved with fluids.", inpatient_only=True),
    condition("hyponatremia", "E87.1", "Hyponatremia.", inpatient_only=True),
    condition("hypokalemia", "E87.6", "Hypokalemia, repleted.", inpatient_only=True),
    condition("appendicitis", "K35.80", "Acute appendicitis.",
              symptom_text="He has right lower quadrant abdominal pain since this morning.",
              symptom_codes="R10.31", suspect_name="appendicitis"),
    condition("chole", "K80.20", "Cholelithiasis."),
    condition("ac_chole", "K80.00", "Acute cholecystitis with cholelithiasis.", inpatient_only=True),
    condition("gastroenteritis", "K52.9", "Gastroenteritis."),
    condition("pe", "I26.99", "Acute pulmonary embolism.",
              symptom_text="She reports shortness of breath and pleuritic chest pain.",
              symptom_codes="R06.02 R07.81", suspect_name="pulmonary embolism", inpatient_only=True),
    condition("dvt_r", "I82.401", "Acute deep vein thrombosis of the right lower extremity."),
    condition("resp_failure", "J96.01", "Acute respiratory failure with hypoxia.", inpatient_only=True),
    condition("etoh", "F10.20", "Alcohol dependence.", tags="chronic"),
)

HISTORY_OF: tuple[tuple[str, str, str | None], ...] = (
    ("History of breast cancer, status post mastectomy in 2015, no evidence of recurrence.", "Z85.3", "F"),
    ("Personal history of colon cancer, status post resection.", "Z85.038", None),
    ("History of prostate cancer treated with radiation in 2012.", "Z85.46", "M"),
    ("History of DVT in 2019, completed anticoagulation.", "Z86.718", None),
    ("History of stroke without residual deficits.", "Z86.73", None),
    ("Remote history of myocardial infarction.", "I25.2", None),
    ("History of kidney stones.", "Z87.442", None),
    ("History of pneumonia last winter, resolved.", "Z87.01", None),
    ("Former smoker, quit 10 years ago.", "Z87.891", None),
    ("History of colon polyps.", "Z86.0100", None),
    ("History of pulmonary embolism in 2020.", "Z86.711", None),
)

FAMILY_HISTORY: tuple[tuple[str, str], ...] = (
    ("Mother had breast cancer at age 50.", "Z80.3"),
    ("Father with colon cancer.", "Z80.0"),
    ("Father had a heart attack at 52.", "Z82.49"),
    ("Mother has type 2 diabetes.", "Z83.3"),
    ("Brother with prostate cancer.", "Z80.42"),
    ("Mother had a stroke.", "Z82.3"),
    ("Father died of lung cancer.", "Z80.1"),
    ("Sister with ovarian cancer.", "Z80.41"),
    ("Father with hypertension.", "Z82.49"),
    ("Mother with depression.", "Z81.8"),
)

# (sentence, the condition keys it would contradict: never paired with those)
NEGATIVES: tuple[tuple[str, frozenset[str]], ...] = (
    ("Denies chest pain, shortness of breath or palpitations.", frozenset({"pe"})),
    ("No fever, chills or night sweats.", frozenset({"pna"})),
    ("Denies dysuria or hematuria.", frozenset({"uti"})),
    ("No nausea, vomiting or diarrhea.", frozenset({"gastroenteritis"})),
    ("Denies headache or dizziness.", frozenset({"migraine", "migraine_noaura"})),
    ("No history of diabetes.", frozenset({"dm2", "dm2_neuro", "dm2_poly", "dm2_hyper", "dm2_ckd", "dm1"})),
    ("Negative for cough or wheezing.", frozenset({"pna", "copd_ex", "asthma", "asthma_mild"})),
)

NEGATED_FINDINGS: tuple[tuple[str, frozenset[str]], ...] = (
    ("Chest x-ray shows no evidence of pneumonia.", frozenset({"pna"})),
    ("Duplex ultrasound negative for deep vein thrombosis.", frozenset({"dvt_r"})),
    ("CT head without evidence of acute stroke.", frozenset({"stroke"})),
    ("Urinalysis without signs of urinary tract infection.", frozenset({"uti", "cystitis"})),
)

NEGATED_INPATIENT: tuple[tuple[str, frozenset[str]], ...] = (
    ("Myocardial infarction was ruled out with serial troponins.", frozenset({"nstemi"})),
    ("Pulmonary embolism was excluded by CT angiogram.", frozenset({"pe"})),
)

UNCERTAIN_WORDS: tuple[str, ...] = ("Probable {}.", "Suspected {}.", "Rule out {}.", "Likely {}.")

COMPLAINTS = ("Follow-up of chronic conditions.", "Medication refill and review.", "Feeling unwell.",
              "Here for routine follow-up.", "Cough and fatigue.")
MEDICATIONS = ("Lisinopril 10 mg daily, metformin 500 mg twice daily.", "Atorvastatin 40 mg nightly.",
               "Levothyroxine 75 mcg daily, omeprazole 20 mg daily.", "Albuterol inhaler as needed.",
               "None.")
EXAMS = ("Alert, no distress. Lungs clear. Heart regular rate and rhythm. Abdomen soft, nontender.",
         "Vitals stable. Heart regular. Lungs with scattered wheezes. No edema.",
         "Well appearing. Oropharynx clear. Neck supple. Lungs clear to auscultation.")


def combine_hypertension(codes: list[str], tags: set[str]) -> list[str]:
    """Hypertension with heart failure and/or CKD takes the combination code in place of I10."""
    if "I10" not in codes or not tags & {"hf", "ckd"}:
        return codes
    combination = "I13.0" if {"hf", "ckd"} <= tags else ("I11.0" if "hf" in tags else "I12.9")
    return [combination if code == "I10" else code for code in codes]


def make_note(rng: random.Random, number: int, setting: str) -> dict:
    sex = rng.choice(("F", "M"))
    age = rng.randint(24, 88)
    fitting = [c for c in CONDITIONS if c.sex in (None, sex) and (setting == "inpatient" or not c.inpatient_only)]
    chosen: list[Condition] = []
    wanted = rng.randint(1, 4)
    for candidate in rng.sample(fitting, k=len(fitting)):
        keys = {c.key[:4] for c in chosen}
        chosen_tags = set().union(*(c.tags for c in chosen))
        if candidate.key[:4] not in keys and not ({"dm", "hf", "ckd"} & candidate.tags & chosen_tags):
            chosen.append(candidate)
        if len(chosen) == wanted:
            break
    labels: list[str] = []
    tags: set[str] = set()
    assessment: list[str] = []
    history_lines: list[str] = []
    pmh_lines: list[str] = []
    suspects = [c for c in CONDITIONS if c.suspect_name and c.sex in (None, sex) and c not in chosen
                and (setting == "inpatient" or not c.inpatient_only)]
    for index, cond in enumerate(chosen):
        phrase = rng.choice(cond.phrases)
        if "chronic" in cond.tags and index > 0 and rng.random() < 0.4:
            pmh_lines.append(phrase.rstrip("."))
        else:
            assessment.append(phrase)
        labels.extend(cond.codes)
        tags |= cond.tags
    present = {c.key for c in chosen}
    if suspects and rng.random() < 0.5:
        suspect = rng.choice(suspects)
        present.add(suspect.key)
        assessment.append(rng.choice(UNCERTAIN_WORDS).format(suspect.suspect_name))
        history_lines.append(suspect.symptom_text)
        labels.extend(suspect.symptom_codes if setting == "outpatient" else suspect.codes)
    fitting_history = [h for h in HISTORY_OF if h[2] in (None, sex)]
    if rng.random() < 0.5:
        text, code, _sex = rng.choice(fitting_history)
        pmh_lines.append(text.rstrip("."))
        labels.append(code)
    family: list[str] = []
    if rng.random() < 0.55:
        for text, code in rng.sample(FAMILY_HISTORY, k=rng.randint(1, 2)):
            family.append(text)
            labels.append(code)
    ros = " ".join(rng.sample([text for text, clash in NEGATIVES if not clash & present], k=2))
    negatable = NEGATED_FINDINGS + (NEGATED_INPATIENT if setting == "inpatient" else ())
    negated = rng.choice([text for text, clash in negatable if not clash & present])
    labels = combine_hypertension(labels, tags)
    pronoun = "She" if sex == "F" else "He"
    history_text = " ".join(history_lines) or f"{pronoun} has no new complaints today."
    pmh = "; ".join(pmh_lines) + "." if pmh_lines else "Reviewed, noncontributory."
    family_text = " ".join(family) if family else "Noncontributory."
    findings = f"{rng.choice(EXAMS)} {negated}"
    listed = "\n".join(f"{n}. {line}" for n, line in enumerate(assessment, start=1))
    if setting == "outpatient":
        text = (f"CHIEF COMPLAINT: {rng.choice(COMPLAINTS)}\n\nHISTORY OF PRESENT ILLNESS: {age}-year-old "
                f"{'woman' if sex == 'F' else 'man'} seen in clinic. {history_text}\n\nPAST MEDICAL HISTORY: {pmh}\n\n"
                f"MEDICATIONS: {rng.choice(MEDICATIONS)}\n\nFAMILY HISTORY: {family_text}\n\n"
                f"REVIEW OF SYSTEMS: {ros}\n\nPHYSICAL EXAM: {findings}\n\nASSESSMENT AND PLAN:\n{listed}\n")
    else:
        text = (f"DISCHARGE SUMMARY\n\nHISTORY OF PRESENT ILLNESS: {age}-year-old {'woman' if sex == 'F' else 'man'} "
                f"admitted through the emergency department. {history_text}\n\nPAST MEDICAL HISTORY: {pmh}\n\n"
                f"FAMILY HISTORY: {family_text}\n\nREVIEW OF SYSTEMS: {ros}\n\nHOSPITAL COURSE: {findings} "
                f"{pronoun} improved and was discharged home.\n\nDISCHARGE DIAGNOSES:\n{listed}\n")
    return {"id": f"synthetic-{number:03d}", "source": "synthetic", "setting": setting, "sex": sex, "age": age,
            "text": text, "codes": sorted(set(labels))}


def synthetic_notes(count: int, seed: int = 20261127) -> list[dict]:
    rng = random.Random(seed)
    return [make_note(rng, number, "outpatient" if number % 2 else "inpatient") for number in range(1, count + 1)]
